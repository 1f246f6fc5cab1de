#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""One end of a TCP connection for the shell tests, in any socket family.

    ttpeer.py client FAMILY IP PORT NBYTES   connect, send NBYTES, shut down
                                             writing, read to the end, close
    ttpeer.py server FAMILY IP PORT NBYTES   listen ("ready" on stdout),
                                             accept one, read to the end,
                                             send NBYTES, close
    ttpeer.py txcsum-off IFNAME              turn transmit checksum offload
                                             off (no ethtool here)

FAMILY is a number (2 = AF_INET) or "toytcp" (the module's family). Python's
socket module cannot connect() or bind() a family it does not know, so those
two go through libc with a struct sockaddr_in; everything else is the socket
module. Prints "sent N received M" and exits 0, or a reason and exits 1.
"""
import ctypes
import errno
import fcntl
import signal
import socket
import struct
import sys

libc = ctypes.CDLL(None, use_errno=True)


def family(arg):
    if arg == "toytcp":
        with open("/sys/module/toytcp/parameters/family") as f:
            return int(f.read())
    return int(arg)


def sockaddr_in(ip, port):
    # struct sockaddr_in: family (host order), port and address (network order)
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + \
        socket.inet_aton(ip) + bytes(8)


def libc_call(name, fd, ip, port):
    sa = ctypes.create_string_buffer(sockaddr_in(ip, port), 16)
    if getattr(libc, name)(fd, sa, 16) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "%s: %s" % (name, errno.errorcode.get(err, err)))


def pattern(n, seed):
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


def read_all(s):
    got = bytearray()
    while True:
        b = s.recv(65536)
        if not b:
            return bytes(got)
        got += b


def client(fam, ip, port, n):
    s = socket.socket(fam, socket.SOCK_STREAM, 0)
    libc_call("connect", s.fileno(), ip, port)
    s.settimeout(20)
    s.sendall(pattern(n, 1))
    s.shutdown(socket.SHUT_WR)
    got = read_all(s)
    s.close()
    return n, got


def server(fam, ip, port, n):
    ls = socket.socket(fam, socket.SOCK_STREAM, 0)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    libc_call("bind", ls.fileno(), ip, port)
    ls.listen(1)
    print("ready", flush=True)
    fd = libc.accept(ls.fileno(), None, None)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "accept")
    s = socket.socket(fileno=fd)
    s.settimeout(20)
    got = read_all(s)
    s.sendall(pattern(n, 2))
    s.close()
    ls.close()
    return n, got


def txcsum_off(ifname):
    SIOCETHTOOL = 0x8946
    ETHTOOL_STXCSUM = 0x17
    val = ctypes.create_string_buffer(struct.pack("=II", ETHTOOL_STXCSUM, 0), 8)
    ifr = struct.pack("16sP", ifname.encode(), ctypes.addressof(val)) + bytes(16)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
    s.close()


def main():
    signal.alarm(60)    # whatever happens, never hang a test
    if len(sys.argv) == 3 and sys.argv[1] == "txcsum-off":
        txcsum_off(sys.argv[2])
        return 0
    if len(sys.argv) != 6 or sys.argv[1] not in ("client", "server"):
        print(__doc__, file=sys.stderr)
        return 2
    role, fam, ip, port, n = sys.argv[1], family(sys.argv[2]), sys.argv[3], \
        int(sys.argv[4]), int(sys.argv[5])
    sent, got = (client if role == "client" else server)(fam, ip, port, n)
    want = pattern(len(got), 2 if role == "client" else 1)
    print("sent %d received %d%s" % (sent, len(got),
                                     "" if got == want else " (bytes differ)"))
    return 0 if got == want else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:
        print("ttpeer: %s" % e)
        sys.exit(1)

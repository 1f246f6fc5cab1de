/* SPDX-License-Identifier: GPL-2.0 */
/* What the user programs under tools/ share. */
#ifndef TOYTCP_TOOL_H
#define TOYTCP_TOOL_H

#include <stdio.h>
#include <stdlib.h>
#include <linux/toytcp.h>

/*
 * The family number toytcp registered (its "family" parameter, which may
 * differ from AF_TOYTCP). Exits, naming @prog, if the module is not loaded.
 */
static inline int toytcp_family(const char *prog)
{
	FILE *f = fopen(TOYTCP_FAMILY_PATH, "r");
	int fam = -1;

	if (!f || fscanf(f, "%d", &fam) != 1) {
		fprintf(stderr, "%s: toytcp is not loaded (no %s)\n", prog,
			TOYTCP_FAMILY_PATH);
		exit(1);
	}
	fclose(f);
	return fam;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * The host administrator's policy (shadowd.conf): who may attach VMs, and
 * per VM how guest users map to host users, which modules and commands
 * are allowed, which paths the fs module may reach and the limits.
 * Documentation/shadowd.8 describes the file format.
 */
#ifndef HC_POLICY_H
#define HC_POLICY_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#define POLICY_DEFAULT_PATH	"/etc/hostcall/shadowd.conf"
#define POLICY_FALLBACK_USER	"nobody"

enum map_kind {
	MAP_OWNER,	/* the VM owner (QEMU's user) */
	MAP_USER,	/* a host user named by the rule */
	MAP_REFUSE,	/* no shadow */
};

struct map_rule {
	uint32_t lo, hi;	/* guest uids lo..hi */
	enum map_kind kind;
	uid_t uid;		/* MAP_USER */
	int line;
};

/* An entry of an owners list: a host user, or @group. */
struct owner {
	int group;
	uint32_t id;
};

/* A module the policy lets guests bind, at versions lo..hi
 * (major << 16 | minor). */
struct mod_rule {
	char name[32];
	uint32_t lo, hi;
};

/* A `modules` line: the VM's, or `modules UID[-UID] =` for guest users. */
struct mod_list {
	uint32_t lo, hi;	/* guest uids (a per-user list) */
	struct mod_rule *mods;
	int nmods;
	int set;		/* 0: the VM's default, every built-in */
	int line;
};

struct limits {
	unsigned sessions;	/* live sessions of one VM */
	unsigned procs;		/* live host commands of one session */
	unsigned files;		/* fs handles of one session */
	unsigned bytes;		/* input or output bytes of one call */
	unsigned cpu;		/* RLIMIT_CPU seconds, 0: none */
	unsigned tasks;		/* every process and thread of a session */
	unsigned long long memory;	/* bytes of a session, 0: none */
	unsigned cpu_pct;	/* percent of one CPU for a session, 0: none */
	unsigned sockets;	/* sock module handles of one session */
};

struct vm_policy {
	char name[64];		/* "*": VMs without a section of their own */
	int line;
	struct owner *owners;
	int nowners, has_owners;
	struct map_rule *maps;	/* exceptions, disjoint */
	int nmaps;
	struct map_rule def;	/* `map * =`; MAP_OWNER unless set */
	int has_def;
	struct mod_list mods;	/* the VM's modules line */
	struct mod_list *umods;	/* per guest uid ranges, disjoint */
	int numods;
	char **commands;
	int ncommands, has_commands;
	char **env;		/* guest env names let through ("LC_*") */
	int nenv, has_env;
	char **roots;		/* canonical absolute paths */
	int nroots;
	char **helpers;		/* programs listed programs may execute */
	int nhelpers;
	/* sock module (Documentation/sock.md): checked words, in order */
	char **sock_connect;	/* "allow DEST" or "deny DEST" */
	int nsock_connect;
	char **sock_listen;	/* DEST; none given: the host's loopback */
	int nsock_listen, has_sock_listen;
	char **force_tls;	/* DEST */
	int nforce_tls;
	char tls_ca[PATH_MAX];	/* "": the host's CA store */
	struct limits lim;
	unsigned set;		/* scalar keys seen, for duplicates */
};

enum audit_kind { AUDIT_STDERR, AUDIT_SYSLOG, AUDIT_FILE };

struct policy {
	char path[PATH_MAX];	/* "" for the built-in policy */
	int allow_all;		/* built-in: any peer may attach */
	struct owner *owners;
	int nowners;
	enum audit_kind audit;
	char audit_file[PATH_MAX];
	char fallback_user[64];
	unsigned audit_rate;	/* routine lines a second per session */
	char module_dir[PATH_MAX];	/* plugins: NAME.so */
	struct vm_policy *vms;
	int nvms;
	struct vm_policy builtin;	/* names without a section, no [vm *] */
	int refuse_unknown;	/* no built-in section: system and socket mode */
	unsigned set;
};

/* One error: file, line (0: the file as a whole), reason. */
typedef void (*policy_err_fn)(const char *file, int line, const char *msg);

/* The policy without a file: any peer, everything as the VM owner. */
void policy_builtin(struct policy *p);
/* Parse path into p: 0, or the number of errors, each reported. On
 * errors p is left empty (built-in) and must still be freed. */
int policy_load(const char *path, struct policy *p, policy_err_fn err);
void policy_free(struct policy *p);

/* The section for a VM name: its own, else [vm *], else the built-in,
 * or NULL when refuse_unknown is set. */
const struct vm_policy *policy_vm(const struct policy *p, const char *name);
/* May the QEMU of host user peer attach a VM of this section? 1 or 0. */
int policy_may_attach(const struct policy *p, const struct vm_policy *vm,
		      uid_t peer);
/* --check-config's notes on what the file means beyond its errors:
 * unknown VM names, and what this kernel cannot enforce. */
void policy_notes(const struct policy *p, void (*note)(const char *msg));
/* The rule that maps guest uid (an exception, else the default). */
const struct map_rule *policy_rule(const struct vm_policy *vm, uint32_t uid);
/* The modules guest uid may bind (its own list, else the VM's). */
const struct mod_list *policy_modules(const struct vm_policy *vm,
				      uint32_t uid);
/* --check-config: every plugin a modules line names must be in the module
 * directory, root's and not writable by others: the number of problems,
 * each reported. */
int policy_check_plugins(const struct policy *p, policy_err_fn err);

#endif

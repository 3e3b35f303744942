// SPDX-License-Identifier: MIT
/*
 * hostcall: command-line tool for host-calls from the guest.
 *
 *   hostcall exec [--cwd DIR] [--env K=V]... [--] CMD [ARG]...
 *   hostcall info
 *   hostcall ping [-c N] [-s SIZE]
 *
 * Exit status of `exec`: CMD's status, 128+N if CMD was killed by signal N,
 * 141 when our stdout went away (EPIPE), 127 command not found on the host,
 * 126 found but not executable, 125 hostcall itself failed (no device,
 * session refused, ...), 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hostcall.h"

#define EXIT_USAGE	2
#define EXIT_HOSTCALL	125
#define EXIT_NOEXEC	126
#define EXIT_NOTFOUND	127
#define EXIT_EPIPE	(128 + SIGPIPE)

#define CHUNK		(128 * 1024)

static const char *prog = "hostcall";

static void __attribute__((format(printf, 1, 2))) errmsg(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	/* one write: lines from several threads do not interleave */
	if (write(STDERR_FILENO, msg, n) < 0)
		return;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--device PATH] COMMAND [ARGS]\n"
		"\n"
		"Host-calls from this guest to its host.\n"
		"\n"
		"commands:\n"
		"  exec [--cwd DIR] [--env NAME=VALUE]... [--] CMD [ARG]...\n"
		"        run CMD on the host (argument vector as given, no shell),\n"
		"        streaming stdin, stdout and stderr; SIGINT, SIGTERM, SIGHUP\n"
		"        and SIGQUIT are forwarded to it. Exits with CMD's status,\n"
		"        128+N if it was killed by signal N, 127 if not found on the\n"
		"        host, 126 if not executable, 125 if hostcall itself failed.\n"
		"  info  show the device, transport (the kick in use), session,\n"
		"        host, data path and the session's calls, kicks, wakeups\n"
		"        and interrupts\n"
		"  modules\n"
		"        the host modules this session may bind: NAME MAJOR.MINOR,\n"
		"        then one line per function (tab, number, name)\n"
		"  ping [-c COUNT] [-s SIZE]\n"
		"        COUNT (default 10) round trips of SIZE bytes (default 0);\n"
		"        prints min/avg/max in microseconds\n"
		"\n"
		"options:\n"
		"  -d, --device PATH  device node (default $HOSTCALL_DEVICE or\n"
		"                     /dev/hostcall)\n"
		"  -h, --help         this help\n",
		prog);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errmsg("%s: %s", prog, msg);
	errmsg("Try '%s --help' for more information.", prog);
	return EXIT_USAGE;
}

static const char *device_path;

static hc_session *open_session(void)
{
	const char *path = device_path ? device_path : hc_default_device();
	hc_session *hc = hc_open_path(path);

	if (!hc)
		errmsg("%s: %s: %s", prog, path, strerror(errno));
	return hc;
}

/* write all of buf to fd; 0 or -errno */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				poll(&p, 1, -1);
				continue;
			}
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* ---- exec ---------------------------------------------------------------- */

struct exec_ctx {
	hc_session *hc;
	int h;
	const char *cmd;
};

static void *stdin_pump(void *arg)
{
	struct exec_ctx *x = arg;
	char *buf = malloc(CHUNK);
	bool open = true;

	while (buf && open) {
		ssize_t n = read(STDIN_FILENO, buf, CHUNK);
		ssize_t off = 0;

		if (n < 0 && (errno == EINTR))
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

			poll(&p, 1, -1);
			continue;
		}
		if (n <= 0)
			break;	/* EOF, or stdin unusable: the command sees EOF */
		/* the host may take part of it (a signal came): send the rest;
		 * EINTR means nothing was taken */
		while (off < n) {
			ssize_t w = hc_proc_write(x->hc, x->h, buf + off, n - off);

			if (w == -EINTR)
				continue;
			if (w <= 0) {
				/* EPIPE: the command stopped reading */
				open = false;
				break;
			}
			off += w;
		}
	}
	free(buf);
	while (hc_proc_close(x->hc, x->h, HC_STDIN) == -EINTR)
		;
	return NULL;
}

struct out_pump {
	struct exec_ctx *x;
	int stream;	/* HC_STDOUT or HC_STDERR */
	int fd;		/* guest fd it goes to */
};

static void *out_pump(void *arg)
{
	struct out_pump *p = arg;
	struct exec_ctx *x = p->x;
	char *buf = malloc(CHUNK);
	bool sink = true;

	if (!buf) {
		errmsg("%s: out of memory", prog);
		return NULL;
	}
	for (;;) {
		ssize_t n = hc_proc_read(x->hc, x->h, p->stream, buf, CHUNK);

		if (n == 0)
			break;
		if (n < 0) {
			if (n == -EINTR)
				continue;
			errmsg("%s: host: reading %s: %s", prog,
			      p->stream == HC_STDOUT ? "stdout" : "stderr",
			      strerror((int)-n));
			break;
		}
		if (!sink)
			continue;	/* keep draining so the command never blocks */
		if (write_all(p->fd, buf, n) == -EPIPE) {
			if (p->stream == HC_STDOUT) {
				/* as if we died of SIGPIPE: end the command too */
				hc_proc_release(x->hc, x->h);
				_exit(EXIT_EPIPE);
			}
			sink = false;
		}
	}
	free(buf);
	return NULL;
}

static void *signal_pump(void *arg)
{
	struct exec_ctx *x = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	for (;;) {
		if (sigwait(&set, &sig))
			continue;
		hc_proc_signal(x->hc, x->h, sig);
	}
	return NULL;
}

static int spawn_error(const char *cmd, const char *cwd, int err)
{
	switch (err) {
	case ENOENT:
		if (cwd)
			errmsg("%s: host: %s: command not found (or no directory %s)",
			      prog, cmd, cwd);
		else
			errmsg("%s: host: %s: command not found", prog, cmd);
		return EXIT_NOTFOUND;
	case EACCES:
	case ENOEXEC:
	case EPERM:
	case EISDIR:
	case ENOTDIR:
	case ETXTBSY:
	case ELOOP:
		errmsg("%s: host: %s: %s", prog, cmd, strerror(err));
		return EXIT_NOEXEC;
	default:
		errmsg("%s: host: %s: %s", prog, cmd, strerror(err));
		return EXIT_HOSTCALL;
	}
}

static int start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);

	if (err)
		errmsg("%s: pthread_create: %s", prog, strerror(err));
	return err;
}

static int cmd_exec(int argc, char **argv)
{
	const char *cwd = NULL;
	char **env = calloc(argc + 1, sizeof(char *));
	struct out_pump po, pe;
	struct exec_ctx x;
	pthread_t tin, tout, terr, tsig;
	sigset_t set;
	int nenv = 0, i, ret, status = 0;

	if (!env)
		return EXIT_HOSTCALL;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-' || !a[1])
			break;
		if (!strcmp(a, "--cwd") || !strcmp(a, "-C")) {
			if (++i >= argc)
				return usage_error("exec: %s needs a directory", a);
			cwd = argv[i];
		} else if (!strncmp(a, "--cwd=", 6)) {
			cwd = a + 6;
		} else if (!strcmp(a, "--env") || !strcmp(a, "-e")) {
			if (++i >= argc)
				return usage_error("exec: %s needs NAME=VALUE", a);
			env[nenv++] = argv[i];
		} else if (!strncmp(a, "--env=", 6)) {
			env[nenv++] = (char *)a + 6;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			return usage_error("exec: unknown option '%s'", a);
		}
		if (nenv && (!strchr(env[nenv - 1], '=') || env[nenv - 1][0] == '='))
			return usage_error("exec: --env wants NAME=VALUE, not '%s'",
					   env[nenv - 1]);
	}
	if (i >= argc)
		return usage_error("exec: no command given");

	/*
	 * Signals: the forwarded ones are blocked in every thread and taken by
	 * the sigwait thread; SIGPIPE is ignored so a closed stdout shows up as
	 * EPIPE. Blocked before the threads start, so they inherit it.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	x.hc = open_session();
	if (!x.hc)
		return EXIT_HOSTCALL;
	x.cmd = argv[i];
	/* EINTR: a signal came before the host started anything */
	do
		x.h = hc_proc_spawn(x.hc, &argv[i], nenv ? env : NULL, cwd, 0,
				    NULL);
	while (x.h == -EINTR);
	if (x.h < 0)
		return spawn_error(argv[i], cwd, -x.h);

	po = (struct out_pump){ .x = &x, .stream = HC_STDOUT, .fd = STDOUT_FILENO };
	pe = (struct out_pump){ .x = &x, .stream = HC_STDERR, .fd = STDERR_FILENO };
	if (start_thread(&tsig, signal_pump, &x) ||
	    start_thread(&tin, stdin_pump, &x) ||
	    start_thread(&tout, out_pump, &po) ||
	    start_thread(&terr, out_pump, &pe)) {
		hc_proc_release(x.hc, x.h);
		return EXIT_HOSTCALL;
	}
	/* the stdin pump may sit in read() forever; nobody waits for it */
	pthread_detach(tin);
	pthread_detach(tsig);
	pthread_join(tout, NULL);
	pthread_join(terr, NULL);

	do
		ret = hc_proc_wait(x.hc, x.h, &status);
	while (ret == -EINTR);
	if (ret < 0) {
		errmsg("%s: host: waiting for %s: %s", prog, x.cmd, strerror(-ret));
		return EXIT_HOSTCALL;
	}
	hc_proc_release(x.hc, x.h);
	/* no hc_close: exit() closes it; the stdin pump may still use it */
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return EXIT_HOSTCALL;
}

/* ---- info ---------------------------------------------------------------- */

static const char *accel_name(unsigned accel)
{
	switch (accel) {
	case HC_ACCEL_TCG:
		return "tcg";
	case HC_ACCEL_KVM:
		return "kvm";
	default:
		return "unknown";
	}
}

/* The data path and this session's window statistics (the driver sums
 * both queue pairs), read after the host info call so it counts. */
static void print_stats(hc_session *hc)
{
	struct hostcall_ioc_info st;

	printf("data path: %s\n", hc_direct(hc) ? "window" : "ioctl");
	if (hc_dev_info(hc, &st) < 0)
		return;
	printf("calls: %llu\n", (unsigned long long)st.calls);
	printf("kicks: %llu\n", (unsigned long long)st.kicks);
	printf("wakeups: %llu\n", (unsigned long long)st.wakeups);
	printf("irqs: %llu\n", (unsigned long long)st.irqs);
}

/* ping's summary of the same, on one line */
static void print_path(hc_session *hc)
{
	struct hostcall_ioc_info st;

	if (hc_dev_info(hc, &st) < 0)
		return;
	printf("data path: %s; %llu calls, %llu kicks, %llu wakeups, %llu irqs\n",
	       hc_direct(hc) ? "window" : "ioctl",
	       (unsigned long long)st.calls, (unsigned long long)st.kicks,
	       (unsigned long long)st.wakeups, (unsigned long long)st.irqs);
}

static int cmd_info(int argc, char **argv)
{
	struct hc_info info;
	hc_session *hc;
	int ret;

	(void)argv;
	if (argc > 1)
		return usage_error("info: no arguments expected");
	hc = open_session();
	if (!hc)
		return EXIT_HOSTCALL;
	ret = hc_info(hc, &info);
	if (ret < 0 && !info.dev.abi_version) {
		errmsg("%s: info: %s", prog, strerror(-ret));
		hc_close(hc);
		return 1;
	}
	printf("device: %s\n", info.dev.device);
	printf("transport: %s\n", hc_transport_name(info.dev.transport));
	printf("accel: %s\n", accel_name(info.dev.accel));
	printf("features:%s%s%s%s\n",
	       info.dev.features & HC_F_HYPERCALL ? " hypercall" : "",
	       info.dev.features & HC_F_MSIX ? " msix" : "",
	       info.dev.features & HC_F_WINDOW ? " window" : "",
	       info.dev.features & HC_F_HC_EVENTFD ? " hypercall-eventfd" : "");
	printf("ring entries: %u\n", info.dev.ring_entries);
	printf("session: %u\n", info.dev.session);
	printf("host user: %s (uid %u, gid %u)\n", info.dev.host.host_user,
	       info.dev.host.host_uid, info.dev.host.host_gid);
	printf("shadow pid: %d\n", info.dev.host.shadow_pid);
	if (ret < 0) {
		fflush(stdout);
		errmsg("%s: host info: %s", prog, strerror(-ret));
		hc_close(hc);
		return 1;
	}
	printf("host: %s %s\n", info.sys.hostname, info.sys.kernel);
	printf("host cwd: %s\n", info.sys.cwd);
	print_stats(hc);
	hc_close(hc);
	return 0;
}

/* ---- modules ---------------------------------------------------------------- */

static int cmd_modules(int argc, char **argv)
{
	static char text[HC_MAX_DATA + 1];
	hc_session *hc;
	ssize_t n;

	(void)argv;
	if (argc > 1)
		return usage_error("modules: no arguments expected");
	hc = open_session();
	if (!hc)
		return EXIT_HOSTCALL;
	n = hc_modules(hc, text, sizeof(text));
	hc_close(hc);
	if (n < 0) {
		errmsg("%s: modules: %s", prog, strerror((int)-n));
		return 1;
	}
	fputs(text, stdout);
	return 0;
}

/* ---- ping ---------------------------------------------------------------- */

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	if (!s || !*s || *s == '-')
		return false;
	*v = strtoul(s, &end, 0);
	return !errno && !*end && *v <= max;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmd_ping(int argc, char **argv)
{
	unsigned long count = 10, size = 0, i, ok = 0;
	double min = 0, max = 0, sum = 0;
	char *in, *out;
	hc_session *hc;
	int ret, opt;

	optind = 1;
	while ((opt = getopt(argc, argv, "+c:s:h")) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_uint(optarg, INT_MAX, &count) || !count)
				return usage_error("ping: bad count '%s'", optarg);
			break;
		case 's':
			if (!parse_uint(optarg, HC_MAX_DATA, &size))
				return usage_error("ping: bad size '%s' (0..%u)",
						   optarg, HC_MAX_DATA);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			return usage_error("ping: unknown option");
		}
	}
	if (optind < argc)
		return usage_error("ping: unexpected argument '%s'", argv[optind]);

	in = malloc(size + 1);
	out = malloc(size + 1);
	if (!in || !out)
		return EXIT_HOSTCALL;
	for (i = 0; i < size; i++)
		in[i] = (char)(i * 7 + 1);
	hc = open_session();
	if (!hc)
		return EXIT_HOSTCALL;

	printf("PING host: %lu data bytes\n", size);
	for (i = 0; i < count; i++) {
		double t0, dt;

		memset(out, 0, size);
		t0 = now_us();
		ret = hc_ping(hc, in, out, size);
		dt = now_us() - t0;
		if (ret < 0) {
			printf("seq=%lu error: %s\n", i, strerror(-ret));
			continue;
		}
		if ((unsigned long)ret != size || memcmp(in, out, size)) {
			printf("seq=%lu bad echo (%d bytes)\n", i, ret);
			continue;
		}
		printf("%d bytes from host: seq=%lu time=%.1f us\n", ret, i, dt);
		if (!ok || dt < min)
			min = dt;
		if (!ok || dt > max)
			max = dt;
		sum += dt;
		ok++;
	}
	printf("\n--- host ping statistics ---\n");
	printf("%lu calls, %lu ok, %lu failed\n", count, ok, count - ok);
	if (ok)
		printf("rtt min/avg/max = %.1f/%.1f/%.1f us\n",
		       min, sum / ok, max);
	print_path(hc);
	hc_close(hc);
	free(in);
	free(out);
	return ok == count ? 0 : 1;
}

/* ---- main ---------------------------------------------------------------- */

/* a closed 0/1/2 would otherwise be reused by the session's fd */
static void sanitize_std_fds(void)
{
	int fd;

	do
		fd = open("/dev/null", O_RDWR);
	while (fd >= 0 && fd <= STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

int main(int argc, char **argv)
{
	int i;

	sanitize_std_fds();

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-d") || !strcmp(a, "--device")) {
			if (++i >= argc)
				return usage_error("%s needs a path", a);
			device_path = argv[i];
		} else if (!strncmp(a, "--device=", 9)) {
			device_path = a + 9;
		} else if (a[0] == '-') {
			return usage_error("unknown option '%s'", a);
		} else {
			break;
		}
	}
	if (i >= argc)
		return usage_error("no command given (exec, info, modules, ping)");

	if (!strcmp(argv[i], "exec"))
		return cmd_exec(argc - i, argv + i);
	if (!strcmp(argv[i], "info"))
		return cmd_info(argc - i, argv + i);
	if (!strcmp(argv[i], "modules"))
		return cmd_modules(argc - i, argv + i);
	if (!strcmp(argv[i], "ping"))
		return cmd_ping(argc - i, argv + i);
	if (!strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	return usage_error("unknown command '%s'", argv[i]);
}

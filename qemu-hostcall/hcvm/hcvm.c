// SPDX-License-Identifier: MIT
/*
 * hcvm: launch the embedded default guest with -device hostcall.
 *   hcvm run                 interactive guest, console on this terminal
 *   hcvm exec [--user UID] -- CMD ARGS...
 *                            fresh guest runs CMD (argv kept exactly),
 *                            stdin forwarded, stdout/stderr kept apart,
 *                            exit status returned
 * Files are found next to this binary (build/bin) and in ../image; the
 * environment variables HCVM_QEMU, HCVM_KERNEL, HCVM_INITRD, HCVM_SHADOWD
 * override them. See Documentation/hcvm.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "frame.h"

#define MAX_ARGS 256

struct opts {
	const char *accel;	/* NULL: detect */
	const char *mem;
	const char *smp;
	const char *extra[64];
	int nextra;
	const char *device_opts;	/* NULL: "shadowd=PATH" (private mode) */
	unsigned uid;
	int timeout;		/* seconds, 0: none */
	int verbose;
	int debian;		/* --image debian: the Debian 12 disk guest */
};

static char bindir[PATH_MAX];
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static const char *path_of(const char *env, const char *rel, char *buf)
{
	const char *e = getenv(env);

	if (e && *e) {
		snprintf(buf, PATH_MAX, "%s", e);
		return buf;
	}
	if (snprintf(buf, PATH_MAX, "%s/%s", bindir, rel) >= PATH_MAX)
		buf[0] = 0;	/* too long: must_exist() reports it */
	return buf;
}

static int must_exist(const char *what, const char *path)
{
	if (access(path, R_OK) == 0)
		return 0;
	fprintf(stderr, "hcvm: %s %s: %s (run 'make' first)\n", what, path, strerror(errno));
	return -1;
}

/* KVM only where the CPU shows vmx/svm and /dev/kvm opens. */
static int kvm_usable(void)
{
	char line[4096];
	int found = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm")))
			found = 1;
	if (f)
		fclose(f);
	if (!found)
		return 0;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Fill argv with the QEMU command line; mode is "run" or "exec". */
static int qemu_argv(const struct opts *o, const char *mode, const char *sock,
		     const char *log, const struct winsize *ws, char **argv)
{
	static char qemu[PATH_MAX], kernel[PATH_MAX], initrd[PATH_MAX], shadowd[PATH_MAX];
	static char append[512], dev[PATH_MAX + 64], chardev[PATH_MAX + 64], serial[PATH_MAX + 16];
	static char disk[PATH_MAX], drive[PATH_MAX + 64];
	int n = 0;

	path_of("HCVM_QEMU", "qemu-system-x86_64", qemu);
	path_of("HCVM_SHADOWD", "shadowd", shadowd);
	if (o->debian) {
		/* the same Debian kernel; a small initramfs mounts the disk */
		path_of("HCVM_KERNEL", "../debian-image/vmlinuz", kernel);
		path_of("HCVM_INITRD", "../debian-image/initrd.gz", initrd);
		path_of("HCVM_DISK", "../debian-image/disk.img", disk);
	} else {
		path_of("HCVM_KERNEL", "../image/vmlinuz", kernel);
		path_of("HCVM_INITRD", "../image/initrd.gz", initrd);
	}
	if (must_exist("QEMU", qemu) || must_exist("kernel", kernel) ||
	    must_exist("initrd", initrd) || (o->debian && must_exist("disk", disk)) ||
	    (!o->device_opts && must_exist("shadowd", shadowd)))
		return -1;
	int kvm = o->accel ? !strcmp(o->accel, "kvm") : kvm_usable();

	argv[n++] = qemu;
	argv[n++] = "-M";
	argv[n++] = "q35";
	argv[n++] = "-accel";
	argv[n++] = kvm ? "kvm" : "tcg";
	argv[n++] = "-cpu";
	argv[n++] = kvm ? "host" : "max";
	argv[n++] = "-m";
	argv[n++] = (char *)o->mem;
	argv[n++] = "-smp";
	argv[n++] = (char *)o->smp;
	argv[n++] = "-no-reboot";
	argv[n++] = "-nic";
	argv[n++] = "none";
	argv[n++] = "-L";
	argv[n++] = "/usr/share/qemu";
	argv[n++] = "-L";
	argv[n++] = "/usr/share/seabios";
	argv[n++] = "-kernel";
	argv[n++] = kernel;
	argv[n++] = "-initrd";
	argv[n++] = initrd;
	int alen = snprintf(append, sizeof(append),
			    "console=ttyS0 quiet panic=-1 hcvm.mode=%s%s", mode,
			    o->debian ? " root=/dev/vda rw" : "");
	/* the serial console has no size of its own: init sets this one */
	if (ws)
		snprintf(append + alen, sizeof(append) - (size_t)alen,
			 " hcvm.winsize=%ux%u", ws->ws_row, ws->ws_col);
	argv[n++] = "-append";
	argv[n++] = append;
	if (o->debian) {
		/* snapshot=on: every boot starts from the built image and
		 * leaves it untouched */
		snprintf(drive, sizeof(drive), "file=%s,if=virtio,format=raw,snapshot=on", disk);
		argv[n++] = "-drive";
		argv[n++] = drive;
	}
	/* --device-opts replaces the private shadowd, e.g. with a system
	 * one: socket=/run/hostcall/shadowd.sock,vm=NAME */
	if (o->device_opts)
		snprintf(dev, sizeof(dev), "hostcall,%s", o->device_opts);
	else
		snprintf(dev, sizeof(dev), "hostcall,shadowd=%s", shadowd);
	argv[n++] = "-device";
	argv[n++] = dev;
	if (log) {
		argv[n++] = "-display";
		argv[n++] = "none";
		argv[n++] = "-monitor";
		argv[n++] = "none";
		snprintf(serial, sizeof(serial), "file:%s", log);
		argv[n++] = "-serial";
		argv[n++] = serial;
	} else {
		argv[n++] = "-nographic";
	}
	if (sock) {
		argv[n++] = "-device";
		argv[n++] = "virtio-serial-pci";
		snprintf(chardev, sizeof(chardev), "socket,id=hcvm,path=%s", sock);
		argv[n++] = "-chardev";
		argv[n++] = chardev;
		argv[n++] = "-device";
		argv[n++] = "virtserialport,chardev=hcvm,name=" HCVM_PORT_NAME;
	}
	for (int i = 0; i < o->nextra; i++)
		argv[n++] = (char *)o->extra[i];
	argv[n] = NULL;
	return 0;
}

static void show_log(const char *log)
{
	char buf[4096];
	FILE *f = fopen(log, "r");
	size_t n;

	if (!f)
		return;
	fprintf(stderr, "hcvm: --- guest console ---\n");
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fprintf(stderr, "hcvm: --- end of console ---\n");
	fclose(f);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int timed_out;	/* relay gave up waiting: the console tells why */
static int qemu_status = -1;	/* QEMU's wait status once it ended early */

/* How QEMU ended, for the message that the guest stopped early. */
static void say_qemu_status(void)
{
	if (qemu_status < 0)
		fprintf(stderr, "hcvm: QEMU was still running\n");
	else if (WIFSIGNALED(qemu_status))
		fprintf(stderr, "hcvm: QEMU was killed by signal %d (%s)\n",
			WTERMSIG(qemu_status), strsignal(WTERMSIG(qemu_status)));
	else
		fprintf(stderr, "hcvm: QEMU exited with status %d\n",
			WEXITSTATUS(qemu_status));
}

/* Relay between our stdio and the guest agent until HCVM_EXIT. */
static int relay(int sock, pid_t qemu, const struct opts *o, char **cmd, int argc)
{
	struct bq to = { 0 }, from = { 0 };
	uint32_t type, len;
	const char *data;
	int in_open = 1, out_ok = 1, status = -1, r;
	double deadline = o->timeout ? now() + o->timeout : 0;

	/* HCVM_EXEC: uid, argc, then argv strings. */
	struct bq ex = { 0 };
	uint32_t hdr[2] = { o->uid, (uint32_t)argc };
	bq_put(&ex, hdr, sizeof(hdr));
	for (int i = 0; i < argc; i++)
		bq_put(&ex, cmd[i], strlen(cmd[i]) + 1);
	if (ex.len > HCVM_MAX_FRAME) {
		fprintf(stderr, "hcvm: command line too long (%zu bytes)\n", ex.len);
		return 125;
	}
	frame_put(&to, HCVM_EXEC, ex.buf, ex.len);
	bq_free(&ex);
	fcntl(sock, F_SETFL, O_NONBLOCK);

	while (status < 0) {
		struct pollfd pf[2] = {
			{ .fd = sock, .events = POLLIN | (to.len ? POLLOUT : 0) },
			{ .fd = in_open && to.len < (1u << 20) ? 0 : -1, .events = POLLIN },
		};
		if (poll(pf, 2, 200) < 0 && errno != EINTR)
			return 125;
		if (got_signal) {
			fprintf(stderr, "hcvm: interrupted, stopping the guest\n");
			return 128 + got_signal;
		}
		if (deadline && now() > deadline) {
			fprintf(stderr, "hcvm: timed out after %d s\n", o->timeout);
			timed_out = 1;
			return 124;
		}
		if (pf[1].revents & (POLLIN | POLLHUP)) {
			char buf[HCVM_MAX_FRAME];
			ssize_t n = read(0, buf, sizeof(buf));
			if (n > 0) {
				frame_put(&to, HCVM_STDIN, buf, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				frame_put(&to, HCVM_STDIN_EOF, NULL, 0);
				in_open = 0;
			}
		}
		if (to.len && bq_flush(&to, sock) < 0)
			break;
		if (pf[0].revents & (POLLIN | POLLHUP)) {
			long n = bq_fill(&from, sock, 65536);
			if (n == 0 || n == -1)
				break;
		}
		while ((r = frame_next(&from, &type, &data, &len)) == 1) {
			if ((type == HCVM_STDOUT && out_ok) || type == HCVM_STDERR) {
				int fd = type == HCVM_STDOUT ? 1 : 2;
				for (uint32_t off = 0; off < len;) {
					ssize_t w = write(fd, data + off, len - off);
					if (w < 0 && errno == EINTR)
						continue;
					if (w < 0) {
						if (fd == 1)
							out_ok = 0;	/* EPIPE: drop stdout */
						break;
					}
					off += (uint32_t)w;
				}
			} else if (type == HCVM_ERROR) {
				fwrite(data, 1, len, stderr);
			} else if (type == HCVM_EXIT && len == 4) {
				int32_t code;
				memcpy(&code, data, 4);
				status = code & 255;
			}
			frame_done(&from, len);
		}
		if (r < 0) {
			fprintf(stderr, "hcvm: malformed frame from the guest\n");
			return 125;
		}
		if (waitpid(qemu, &qemu_status, WNOHANG) == qemu) {
			qemu = 0;
			break;
		}
	}
	bq_free(&to);
	bq_free(&from);
	if (status < 0)
		return -1;	/* guest stopped without an exit status */
	return status;
}

/*
 * A fresh directory DIR (a "/tmp/hcvm.XXXXXX" template) with a listening
 * socket DIR/port in it, which QEMU's virtio-serial chardev connects to.
 */
static int listen_port(char *dir, char *sock, size_t sz)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int ls;

	if (!mkdtemp(dir)) {
		perror("hcvm: mkdtemp");
		return -1;
	}
	snprintf(sock, sz, "%s/port", dir);
	if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock) >= (int)sizeof(sa.sun_path)) {
		fprintf(stderr, "hcvm: socket path too long: %s\n", sock);
		rmdir(dir);
		return -1;
	}
	ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 1)) {
		perror("hcvm: listen socket");
		if (ls >= 0)
			close(ls);
		unlink(sock);
		rmdir(dir);
		return -1;
	}
	return ls;
}

static int do_exec(struct opts *o, char **cmd, int argc)
{
	char dir[] = "/tmp/hcvm.XXXXXX", sock[PATH_MAX], log[PATH_MAX];
	char *argv[MAX_ARGS];
	int ls = listen_port(dir, sock, sizeof(sock));

	if (ls < 0)
		return 125;
	snprintf(log, sizeof(log), "%s/console.log", dir);
	if (qemu_argv(o, "exec", sock, log, NULL, argv) < 0) {
		close(ls);
		unlink(sock);
		rmdir(dir);
		return 125;
	}
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t qemu = fork();
	if (qemu == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(logfd, 1);
		dup2(logfd, 2);
		setpgid(0, 0);	/* keep terminal signals to ourselves */
		execv(argv[0], argv);
		fprintf(stderr, "hcvm: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	if (o->verbose) {
		fprintf(stderr, "hcvm:");
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
	}
	int rc = -1;
	struct pollfd pf = { .fd = ls, .events = POLLIN };
	for (int waited = 0; waited < 120 && rc < 0 && !got_signal; waited++) {
		if (poll(&pf, 1, 1000) > 0) {
			int s = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
			if (s >= 0)
				rc = relay(s, qemu, o, cmd, argc);
			close(s);
			break;
		}
		if (waitpid(qemu, &qemu_status, WNOHANG) == qemu) {
			qemu = 0;
			break;
		}
	}
	if (rc < 0) {
		fprintf(stderr, "hcvm: the guest stopped before reporting an exit status\n");
		/* the port closed first: QEMU is ending, give it 2 s */
		for (int i = 0; qemu > 0 && qemu_status < 0 && i < 20; i++) {
			if (waitpid(qemu, &qemu_status, WNOHANG) == qemu)
				break;
			usleep(100000);
		}
		say_qemu_status();
		show_log(log);
		rc = 125;
	} else if (o->verbose || timed_out) {
		show_log(log);
	}
	if (qemu_status >= 0)
		qemu = 0;	/* reaped already */
	/* The agent powers the guest off; give it a moment, then insist. */
	for (int i = 0; qemu > 0 && i < 100; i++) {
		if (waitpid(qemu, NULL, WNOHANG) == qemu)
			qemu = 0;
		else
			usleep(50000);
	}
	if (qemu > 0) {
		kill(qemu, SIGKILL);
		waitpid(qemu, NULL, 0);
	}
	close(ls);
	unlink(sock);
	unlink(log);
	rmdir(dir);
	return rc;
}

static volatile sig_atomic_t winch;

static void on_winch(int sig)
{
	(void)sig;
	winch = 1;
}

/* Tell the guest agent the terminal's size (a lost frame only loses a resize). */
static void send_winsize(int conn)
{
	struct winsize ws;
	struct bq q = { 0 };

	if (conn < 0 || ioctl(0, TIOCGWINSZ, &ws) < 0)
		return;
	struct hcvm_winsize w = { .rows = ws.ws_row, .cols = ws.ws_col };
	frame_put(&q, HCVM_WINSIZE, &w, sizeof(w));
	bq_flush(&q, conn);
	bq_free(&q);
}

/*
 * Wait for QEMU; meanwhile, pass each resize of this terminal to the guest
 * agent's console mode, which sets the serial console's size (the guest's
 * foreground job then gets SIGWINCH, as on a local terminal).
 */
static int wait_run(pid_t pid, int ls)
{
	struct sigaction sa = { .sa_handler = on_winch };
	int conn = -1, status;

	sigaction(SIGWINCH, &sa, NULL);
	while (waitpid(pid, &status, WNOHANG) != pid) {
		struct pollfd pf = { .fd = conn < 0 ? ls : conn, .events = POLLIN };

		if (poll(&pf, ls < 0 ? 0 : 1, 200) > 0) {
			if (conn < 0) {
				conn = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
				send_winsize(conn);
			} else {
				char buf[256];	/* nothing comes back: drain, see EOF */
				if (read(conn, buf, sizeof(buf)) <= 0) {
					close(conn);
					conn = -1;
					close(ls);
					ls = -1;
				}
			}
		}
		if (winch) {
			winch = 0;
			send_winsize(conn);
		}
	}
	if (conn >= 0)
		close(conn);
	if (ls >= 0)
		close(ls);
	return status;
}

/*
 * Interactive: the console is this terminal. QEMU's own stderr, where the
 * private shadowd also logs its sessions, goes to a log file so it does not
 * write over the guest's screen; it is shown if QEMU fails. On a terminal,
 * a virtio-serial port carries its size to the guest.
 */
static int do_run(struct opts *o)
{
	char *argv[MAX_ARGS], log[PATH_MAX], dir[] = "/tmp/hcvm.XXXXXX", sock[PATH_MAX];
	struct winsize ws;
	int status, ls = -1;
	int tty = ioctl(0, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col;

	if (tty)
		ls = listen_port(dir, sock, sizeof(sock));
	if (qemu_argv(o, "run", ls >= 0 ? sock : NULL, NULL, tty ? &ws : NULL, argv) < 0)
		return 125;
	if (o->verbose) {
		for (int i = 0; argv[i]; i++)
			fprintf(stderr, "%s ", argv[i]);
		fprintf(stderr, "\n");
	}
	snprintf(log, sizeof(log), "/tmp/hcvm-run.%d.log", (int)getpid());
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (logfd < 0) {
		fprintf(stderr, "hcvm: %s: %s\n", log, strerror(errno));
		return 125;
	}
	fprintf(stderr, "hcvm: booting; leave with 'exit' in the guest shell or Ctrl-A X "
		"(QEMU and shadowd messages: %s)\n", log);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(logfd, 2);
		execv(argv[0], argv);
		fprintf(stderr, "hcvm: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	signal(SIGINT, SIG_IGN);	/* the terminal is QEMU's now */
	signal(SIGQUIT, SIG_IGN);
	if (pid < 0)
		return 125;
	status = wait_run(pid, ls);
	if (ls >= 0) {
		unlink(sock);
		rmdir(dir);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "hcvm: QEMU failed\n");
		show_log(log);
		return 125;
	}
	unlink(log);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hcvm run [OPTIONS]\n"
		"       hcvm exec [OPTIONS] [--user UID] [--timeout SEC] -- CMD [ARGS...]\n"
		"options:\n"
		"  --accel tcg|kvm   force the accelerator (default: kvm where usable)\n"
		"  --mem SIZE        guest memory (default 1024M)\n"
		"  --smp N           vCPUs (default 2)\n"
		"  --image NAME      default (the embedded guest) or debian (the\n"
		"                    Debian 12 disk image, make debian-image)\n"
		"  --qemu-arg ARG    pass ARG to QEMU (repeatable)\n"
		"  --device-opts OPTS  -device hostcall,OPTS instead of the default\n"
		"                    shadowd=PATH (e.g. socket=PATH,vm=NAME)\n"
		"  --verbose         show the QEMU command line and guest console\n");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "accel", required_argument, 0, 'a' },
		{ "mem", required_argument, 0, 'm' },
		{ "smp", required_argument, 0, 's' },
		{ "image", required_argument, 0, 'i' },
		{ "qemu-arg", required_argument, 0, 'q' },
		{ "device-opts", required_argument, 0, 'D' },
		{ "user", required_argument, 0, 'u' },
		{ "timeout", required_argument, 0, 't' },
		{ "verbose", no_argument, 0, 'v' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct opts o = { .mem = "1024M", .smp = "2" };
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int c;

	if (n < 0) {
		perror("hcvm: /proc/self/exe");
		return 125;
	}
	self[n] = 0;
	snprintf(bindir, sizeof(bindir), "%s", dirname(self));
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	const char *verb = argv[1];
	if (strcmp(verb, "run") && strcmp(verb, "exec")) {
		fprintf(stderr, "hcvm: unknown command '%s'\n", verb);
		usage(stderr);
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (strcmp(optarg, "tcg") && strcmp(optarg, "kvm")) {
				fprintf(stderr, "hcvm: --accel takes tcg or kvm\n");
				return 2;
			}
			o.accel = optarg;
			break;
		case 'm': o.mem = optarg; break;
		case 's': o.smp = optarg; break;
		case 'i':
			if (strcmp(optarg, "default") && strcmp(optarg, "debian")) {
				fprintf(stderr, "hcvm: --image takes default or debian\n");
				return 2;
			}
			o.debian = !strcmp(optarg, "debian");
			break;
		case 'q':
			if (o.nextra >= 64) {
				fprintf(stderr, "hcvm: too many --qemu-arg\n");
				return 2;
			}
			o.extra[o.nextra++] = optarg;
			break;
		case 'D': o.device_opts = optarg; break;
		case 'u': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || end == optarg || v > 65535) {
				fprintf(stderr, "hcvm: --user takes a numeric uid\n");
				return 2;
			}
			o.uid = (unsigned)v;
			break;
		}
		case 't': o.timeout = atoi(optarg); break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!strcmp(verb, "run"))
		return do_run(&o);
	if (optind >= argc) {
		fprintf(stderr, "hcvm: exec needs a command: hcvm exec -- CMD [ARGS...]\n");
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return do_exec(&o, argv + optind, argc - optind);
}

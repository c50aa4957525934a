// Privilege dropping for every thread (see privileges.h). Other threads are reached the way
// libpsx does it: a real-time signal to each task of /proc/self/task, whose handler applies the
// same raw syscalls (async-signal-safe) to its own thread; the caller waits for every answer.
#include "io/privileges.h"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace director::io {

namespace {

// kReturn: back to uid 0 on this thread only (raw syscall), after a round trip through the
// overflow uid that took every capability from threads our signal cannot reach.
enum Phase { kDrop = 1, kSettle = 2, kReturn = 3 };

struct Shared {
  uint64_t during = 0;     // the capabilities held between the two phases
  uint64_t keep = 0;       // the capabilities held at the end
  uint64_t bounding_drop = 0;
  unsigned securebits = 0;
  bool no_new_privs = false;
  bool uid_change = false;  // a uid switch follows (a user's, or the round trip)
  std::atomic<int> phase{0};
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  std::atomic<int> first_errno{0};
};

Shared g;

bool capset_thread(uint64_t caps) {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  d[0].effective = d[0].permitted = static_cast<uint32_t>(caps);
  d[1].effective = d[1].permitted = static_cast<uint32_t>(caps >> 32);
  return syscall(SYS_capset, &h, d) == 0;
}

uint64_t permitted_now() {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  if (syscall(SYS_capget, &h, d) != 0) return 0;
  return static_cast<uint64_t>(d[0].permitted) | static_cast<uint64_t>(d[1].permitted) << 32;
}

// The work of one phase on the calling thread; errno of the first failure, 0 when all went.
int apply_phase(int phase) {
  if (phase == kDrop) {
    // Bounding set and securebits need CAP_SETPCAP, so they go before capset drops it.
    for (int cap = 0; cap < 64; cap++) {
      if ((g.bounding_drop >> cap & 1) && syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return errno;
    }
    if (g.securebits != 0 && syscall(SYS_prctl, PR_SET_SECUREBITS, g.securebits, 0, 0, 0) != 0) return errno;
    // Keeps the permitted set across the uid switch to come (needs no privilege, unlike securebits).
    if (g.uid_change && syscall(SYS_prctl, PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return errno;
    if (syscall(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return errno;
    if (!capset_thread(g.during & permitted_now())) return errno;
    if (g.no_new_privs && syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    return 0;
  }
  if (phase == kReturn) {
    // The switch away from uid 0 emptied the effective set: CAP_SETUID back first.
    if (!capset_thread(g.during & permitted_now())) return errno;
    if (syscall(SYS_setresuid, 0, 0, 0) != 0) return errno;
  }
  // After the uid switch (which kept the permitted set: PR_SET_KEEPCAPS) the effective set is
  // empty: make it the kept set, and let later uid changes clear capabilities again.
  if (!capset_thread(g.keep & permitted_now())) return errno;
  if (syscall(SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return errno;
  return 0;
}

void on_signal(int) {
  if (g.phase == 0) return;
  int saved = errno;
  int err = apply_phase(g.phase);
  if (err != 0) {
    int expected = 0;
    g.first_errno.compare_exchange_strong(expected, err);
    g.failed.fetch_add(1);
  }
  g.answered.fetch_add(1);
  errno = saved;
}

std::set<pid_t> tasks() {
  std::set<pid_t> out;
  DIR* d = opendir("/proc/self/task");
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] != '.') out.insert(static_cast<pid_t>(std::atoi(e->d_name)));
  }
  closedir(d);
  return out;
}

void sleep_ms(long ms) {
  timespec ts{0, ms * 1000000L};
  nanosleep(&ts, nullptr);
}

constexpr int kSignalOffset = 4;

// True when thread t blocks our signal (Node's inspector signal thread blocks every signal
// glibc lets it block): it can only be reached through glibc's own setxid broadcast.
bool blocks_signal(pid_t t) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/status", static_cast<int>(t));
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return false;
  char line[256];
  unsigned long long mask = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::sscanf(line, "SigBlk: %llx", &mask) == 1) break;
  }
  std::fclose(f);
  const int sig = SIGRTMIN + kSignalOffset;
  return (mask >> (sig - 1) & 1) != 0;
}

// The threads (but this one) that answer our signal, and the number that block it.
std::set<pid_t> reachable_threads(int& blocking) {
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  std::set<pid_t> out;
  blocking = 0;
  for (pid_t t : tasks()) {
    if (t == self) continue;
    if (blocks_signal(t)) blocking++;
    else out.insert(t);
  }
  return out;
}

// Runs phase on every thread that answers the signal (threads started meanwhile too), then on
// this one. The handler stays installed (doing nothing between phases): a signal still pending
// somewhere must never take the default action, which ends the process.
bool broadcast(int phase, std::string& error) {
  g.answered = 0;
  g.failed = 0;
  g.first_errno = 0;
  g.phase = phase;
  const int sig = SIGRTMIN + kSignalOffset;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, nullptr) != 0) {
    error = std::string("sigaction: ") + strerror(errno);
    return false;
  }
  std::set<pid_t> done;
  int sent = 0;
  bool ok = true;
  for (int round = 0; ok && round < 20; round++) {
    int blocking = 0;
    bool fresh = false;
    for (pid_t t : reachable_threads(blocking)) {
      if (done.count(t)) continue;
      fresh = true;
      done.insert(t);
      if (syscall(SYS_tgkill, getpid(), t, sig) == 0) sent++;
      else if (errno != ESRCH) ok = false;  // ESRCH: it ended on its own
    }
    for (int waited = 0; g.answered.load() < sent && waited < 2000; waited++) sleep_ms(1);
    if (g.answered.load() < sent) {
      error = std::to_string(sent - g.answered.load()) + " thread(s) did not answer the privilege drop";
      ok = false;
    }
    if (!fresh) break;
  }
  g.phase = 0;
  if (ok && g.failed.load() > 0) {
    error = std::to_string(g.failed.load()) + " thread(s) failed: " + strerror(g.first_errno.load());
    ok = false;
  }
  if (!ok) return false;
  int err = apply_phase(phase);
  if (err != 0) {
    error = std::string("this thread: ") + strerror(err);
    return false;
  }
  return true;
}

bool has_setpcap() {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2]{};
  return syscall(SYS_capget, &h, d) == 0 && (d[0].effective >> CAP_SETPCAP & 1);
}

}  // namespace

int last_capability() {
  FILE* f = std::fopen("/proc/sys/kernel/cap_last_cap", "r");
  if (f == nullptr) return -1;
  int n = -1;
  if (std::fscanf(f, "%d", &n) != 1) n = -1;
  std::fclose(f);
  return n;
}

bool drop_privileges(const PrivilegePlan& plan, std::string& error) {
  int last = last_capability();
  if (last < 0 || last > 63) {
    error = "cannot read /proc/sys/kernel/cap_last_cap";
    return false;
  }
  const uint64_t known = last == 63 ? ~0ULL : (1ULL << (last + 1)) - 1;
  const uint64_t id_caps = 1ULL << CAP_SETUID | 1ULL << CAP_SETGID;
  int blocking = 0;
  reachable_threads(blocking);
  g.keep = plan.keep & known;
  g.uid_change = plan.switch_user || blocking > 0;
  g.during = g.uid_change ? (g.keep | id_caps) : g.keep;
  // Without CAP_SETPCAP (not started as root) the bounding set and securebits stay: what the
  // process holds is still cut down to the kept set.
  const bool setpcap = has_setpcap();
  g.bounding_drop = setpcap ? (known & ~g.keep) : 0;
  g.securebits = setpcap ? (SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
                            SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)
                         : 0;
  g.no_new_privs = plan.no_new_privs;
  if (g.uid_change && (permitted_now() & id_caps) != id_caps) {
    error = plan.switch_user ? "switching user needs CAP_SETUID and CAP_SETGID"
                             : std::to_string(blocking) + " thread(s) block every signal and only a uid round trip can strip them, "
                               "which needs CAP_SETUID and CAP_SETGID (or use --keep-privileges)";
    return false;
  }
  if (!broadcast(kDrop, error)) return false;
  if (!g.uid_change) return true;
  // glibc applies these to every thread, the ones blocking our signal included (its setxid
  // broadcast): those keep no capability across the switch (they never set PR_SET_KEEPCAPS).
  const uid_t uid = plan.switch_user ? plan.uid : 65534;
  if (plan.switch_user) {
    if (setgroups(plan.groups.size(), plan.groups.data()) != 0) {
      error = std::string("setgroups: ") + strerror(errno);
      return false;
    }
    if (setresgid(plan.gid, plan.gid, plan.gid) != 0) {
      error = std::string("setresgid: ") + strerror(errno);
      return false;
    }
  }
  if (setresuid(uid, uid, uid) != 0) {
    error = std::string("setresuid: ") + strerror(errno);
    return false;
  }
  return broadcast(plan.switch_user ? kSettle : kReturn, error);
}

}  // namespace director::io

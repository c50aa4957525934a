// Benchmark sink: counts frames addressed to one MAC (a real server that is not really there)
// from a TPACKET_V3 ring behind a classic BPF filter, and answers ARP for the real servers'
// addresses with that MAC so a director can resolve them. Each line on stdin prints
// "count N udp U ipip I other O drops D last SRC>DST".
//
// usage: sink IFNAME MAC [IPV4...]
#include "common.h"
#include <linux/filter.h>
#include <poll.h>
#include <sys/mman.h>


#define BLOCK (1u << 20)
#define BLOCKS 64

static uint8_t *ring;
static uint64_t count, udp, ipip, other, drops;
static uint32_t last_src, last_dst;

static int open_ring(int ifindex, const uint8_t mac[6]) {
  int fd = packet_socket(ifindex, ETH_P_ALL);
  uint32_t lo = (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
  uint32_t hi = (uint32_t)mac[0] << 8 | mac[1];
  /* Only frames to our MAC, and only their first 96 bytes (outer and inner headers). */
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, lo, 0, 3),
      BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, 96),         BPF_STMT(BPF_RET | BPF_K, 0),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) die("SO_ATTACH_FILTER");
  set_int_opt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION");
  set_int_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
  struct tpacket_req3 req = {.tp_block_size = BLOCK, .tp_block_nr = BLOCKS, .tp_frame_size = 2048,
                             .tp_frame_nr = BLOCK / 2048 * BLOCKS, .tp_retire_blk_tov = 2};
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) die("PACKET_RX_RING");
  ring = mmap(NULL, (size_t)BLOCK * BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) die("mmap");
  return fd;
}

static void classify(const uint8_t *f, uint32_t len) {
  count++;
  if (len < 34 || f[12] != 0x08 || f[13] != 0x00) { other++; return; }
  uint8_t proto = f[23];
  if (proto == 17) udp++;
  else if (proto == 4) ipip++;
  else other++;
  memcpy(&last_src, f + 26, 4);
  memcpy(&last_dst, f + 30, 4);
}

static unsigned block_idx;

static void drain_ring(void) {
  for (int n = 0; n < BLOCKS; n++) {
    struct tpacket_block_desc *b = (struct tpacket_block_desc *)(ring + (size_t)block_idx * BLOCK);
    if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) return;
    const uint8_t *p = (const uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
    for (uint32_t i = 0; i < b->hdr.bh1.num_pkts; i++) {
      const struct tpacket3_hdr *h = (const struct tpacket3_hdr *)p;
      classify(p + h->tp_mac, h->tp_snaplen);
      p += h->tp_next_offset;
    }
    __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    block_idx = (block_idx + 1) % BLOCKS;
  }
}

static void answer_arp(int fd, const uint8_t mac[6], const uint32_t *ips, int nips) {
  uint8_t f[128];
  struct sockaddr_ll from;
  socklen_t fl = sizeof from;
  ssize_t n = recvfrom(fd, f, sizeof f, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
  if (n < 42 || f[20] != 0 || f[21] != 1) return; /* ARP requests only */
  uint32_t target;
  memcpy(&target, f + 38, 4);
  int ours = 0;
  for (int i = 0; i < nips; i++) ours |= ips[i] == target;
  if (!ours) return;
  uint8_t r[60] = {0};
  memcpy(r, f + 6, 6);
  memcpy(r + 6, mac, 6);
  memcpy(r + 12, f + 12, 8); /* ethertype, htype, ptype, hlen, plen */
  r[21] = 2;
  memcpy(r + 22, mac, 6);
  memcpy(r + 28, &target, 4);
  memcpy(r + 32, f + 22, 10); /* requester's MAC and IP */
  send(fd, r, sizeof r, 0);
}

static void report(int ring_fd) {
  struct tpacket_stats_v3 st;
  socklen_t l = sizeof st;
  if (getsockopt(ring_fd, SOL_PACKET, PACKET_STATISTICS, &st, &l) == 0) drops += st.tp_drops;
  char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &last_src, s, sizeof s);
  inet_ntop(AF_INET, &last_dst, d, sizeof d);
  printf("count %llu udp %llu ipip %llu other %llu drops %llu last %s>%s\n", (unsigned long long)count,
         (unsigned long long)udp, (unsigned long long)ipip, (unsigned long long)other, (unsigned long long)drops, s, d);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 34) {
    fprintf(stderr, "usage: sink IFNAME MAC [IPV4...] (at most 32 addresses)\n");
    return 2;
  }
  uint8_t mac[6];
  parse_mac(argv[2], mac);
  uint32_t ips[32];
  int nips = argc - 3;
  for (int i = 0; i < nips; i++) ips[i] = parse_ip(argv[3 + i]);
  int ifindex = if_index_or_die(argv[1]);
  int ring_fd = open_ring(ifindex, mac);
  int arp_fd = packet_socket(ifindex, ETH_P_ARP);
  printf("ready\n");
  fflush(stdout);
  struct pollfd pfd[3] = {{.fd = 0, .events = POLLIN}, {.fd = ring_fd, .events = POLLIN}, {.fd = arp_fd, .events = POLLIN}};
  for (;;) {
    if (poll(pfd, 3, 100) < 0 && errno != EINTR) die("poll");
    drain_ring();
    if (pfd[2].revents & POLLIN) answer_arp(arp_fd, mac, ips, nips);
    if (pfd[0].revents & (POLLIN | POLLHUP)) {
      char line[64];
      if (!fgets(line, sizeof line, stdin)) return 0; /* stdin closed: the bench is done */
      drain_ring();
      report(ring_fd);
    }
  }
}

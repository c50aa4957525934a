// Reference forwarder, TPACKET_V3: the same I/O method as the director's packet port (an mmap
// RX ring, sendmmsg from the ring's frames), doing nothing but a MAC rewrite, out the same
// interface (one-armed, as a DR director). The practical user-space limit of that method.
//
// usage: fwd_tpacket IFNAME DSTMAC
#include "common.h"
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>


#define BLOCK (1u << 18)
#define BLOCKS 64
#define BATCH 64

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fwd_tpacket IFNAME DSTMAC\n");
    return 2;
  }
  uint8_t dst[6], src[6];
  parse_mac(argv[2], dst);
  if_mac(argv[1], src);
  int ifindex = if_index_or_die(argv[1]);
  int fd = packet_socket(ifindex, ETH_P_ALL);
  set_int_opt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION");
  set_int_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
  struct tpacket_req3 req = {.tp_block_size = BLOCK, .tp_block_nr = BLOCKS, .tp_frame_size = 2048,
                             .tp_frame_nr = BLOCK / 2048 * BLOCKS, .tp_retire_blk_tov = 1};
  if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) die("PACKET_RX_RING");
  uint8_t *ring = mmap(NULL, (size_t)BLOCK * BLOCKS, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (ring == MAP_FAILED) die("mmap");
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < BATCH; i++) {
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  unsigned idx = 0;
  uint64_t forwarded = 0;
  printf("ready\n");
  fflush(stdout);
  while (!stop) {
    struct tpacket_block_desc *b = (struct tpacket_block_desc *)(ring + (size_t)idx * BLOCK);
    if (!(__atomic_load_n(&b->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) {
      struct pollfd p = {.fd = fd, .events = POLLIN};
      poll(&p, 1, 100);
      continue;
    }
    uint8_t *p = (uint8_t *)b + b->hdr.bh1.offset_to_first_pkt;
    uint32_t left = b->hdr.bh1.num_pkts;
    while (left > 0) {
      int n = 0;
      for (; n < BATCH && left > 0; n++, left--) {
        struct tpacket3_hdr *h = (struct tpacket3_hdr *)p;
        uint8_t *f = p + h->tp_mac;
        memcpy(f, dst, 6);
        memcpy(f + 6, src, 6);
        iov[n].iov_base = f;
        iov[n].iov_len = h->tp_snaplen;
        p += h->tp_next_offset;
      }
      int sent = sendmmsg(fd, msgs, (unsigned)n, 0);
      if (sent > 0) forwarded += (uint64_t)sent;
    }
    __atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    idx = (idx + 1) % BLOCKS;
  }
  printf("forwarded %llu\n", (unsigned long long)forwarded);
  return 0;
}

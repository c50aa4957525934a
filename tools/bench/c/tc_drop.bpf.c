// tc ingress program for the DUT's interface in the user-space cases: every frame has already
// been handed to the packet taps (AF_PACKET) when tc ingress runs, so dropping here only keeps
// the DUT's own IP stack from spending time on frames a user-space forwarder owns.
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

__attribute__((section("tc"), used)) int drop_all(struct __sk_buff *skb) {
  (void)skb;
  return TC_ACT_SHOT;
}

char _license[] __attribute__((section("license"), used)) = "GPL";

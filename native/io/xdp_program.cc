// Assembles, loads and links the director's XDP program and fills its maps (see xdp_program.h).
#ifdef DIRECTOR_WITH_XDP
#include "io/xdp_program.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <vector>

namespace director::io {

namespace {

// A tiny assembler: instructions plus forward jumps to labels patched at the end.
class Asm {
 public:
  enum Label { PASS, SRC, REDIRECT, LABELS };

  void op(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
    bpf_insn i{};
    i.code = code;
    i.dst_reg = dst & 0xf;
    i.src_reg = src & 0xf;
    i.off = off;
    i.imm = imm;
    code_.push_back(i);
  }
  void mov(uint8_t dst, uint8_t src) { op(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
  void mov_imm(uint8_t dst, int32_t imm) { op(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm); }
  void add_imm(uint8_t dst, int32_t imm) { op(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm); }
  void and_imm(uint8_t dst, int32_t imm) { op(BPF_ALU64 | BPF_AND | BPF_K, dst, 0, 0, imm); }
  void load(uint8_t size, uint8_t dst, uint8_t src, int16_t off) {
    op(BPF_LDX | size | BPF_MEM, dst, src, off, 0);
  }
  void store(uint8_t size, uint8_t dst, int16_t off, uint8_t src) {
    op(BPF_STX | size | BPF_MEM, dst, src, off, 0);
  }
  void map_fd(uint8_t dst, int fd) {
    op(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
    op(0, 0, 0, 0, 0);
  }
  void call(int32_t helper) { op(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
  void exit() { op(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }
  void jump_reg(uint8_t cond, uint8_t dst, uint8_t src, Label to) {
    fixups_.push_back({code_.size(), to});
    op(BPF_JMP | cond | BPF_X, dst, src, 0, 0);
  }
  void jump_imm(uint8_t cond, uint8_t dst, int32_t imm, Label to) {
    fixups_.push_back({code_.size(), to});
    op(BPF_JMP | cond | BPF_K, dst, 0, 0, imm);
  }
  void here(Label l) { labels_[l] = code_.size(); }
  std::vector<bpf_insn>& finish() {
    for (const Fixup& f : fixups_) {
      code_[f.at].off = static_cast<int16_t>(labels_[f.to] - f.at - 1);
    }
    return code_;
  }

 private:
  struct Fixup {
    size_t at;
    Label to;
  };
  std::vector<bpf_insn> code_;
  std::vector<Fixup> fixups_;
  size_t labels_[LABELS] = {};
};

// Looks up the 4 bytes at r10-4 in the address map; r0 = value pointer or 0.
void lookup_stacked(Asm& a, int addrs_fd) {
  a.map_fd(BPF_REG_1, addrs_fd);
  a.mov(BPF_REG_2, BPF_REG_10);
  a.add_imm(BPF_REG_2, -4);
  a.call(BPF_FUNC_map_lookup_elem);
}

std::vector<bpf_insn> assemble(int addrs_fd, int xsks_fd) {
  Asm a;
  constexpr int16_t kXdpData = 0, kXdpDataEnd = 4, kXdpRxQueue = 16;  // struct xdp_md
  a.mov(BPF_REG_6, BPF_REG_1);
  a.load(BPF_W, BPF_REG_2, BPF_REG_6, kXdpData);
  a.load(BPF_W, BPF_REG_3, BPF_REG_6, kXdpDataEnd);
  a.mov(BPF_REG_4, BPF_REG_2);
  a.add_imm(BPF_REG_4, 14 + 20);  // Ethernet + minimal IPv4 header
  a.jump_reg(BPF_JGT, BPF_REG_4, BPF_REG_3, Asm::PASS);
  a.load(BPF_H, BPF_REG_4, BPF_REG_2, 12);
  a.jump_imm(BPF_JNE, BPF_REG_4, htons(0x0800), Asm::PASS);
  a.load(BPF_W, BPF_REG_7, BPF_REG_2, 14 + 12);  // source, network order
  a.load(BPF_W, BPF_REG_8, BPF_REG_2, 14 + 16);  // destination, network order
  a.mov(BPF_REG_4, BPF_REG_8);
  a.and_imm(BPF_REG_4, 0xf0);  // first octet's high nibble (little-endian load)
  a.jump_imm(BPF_JGE, BPF_REG_4, 0xe0, Asm::PASS);
  a.store(BPF_W, BPF_REG_10, -4, BPF_REG_8);
  lookup_stacked(a, addrs_fd);
  a.jump_imm(BPF_JEQ, BPF_REG_0, 0, Asm::SRC);
  a.load(BPF_W, BPF_REG_1, BPF_REG_0, 0);
  a.mov(BPF_REG_2, BPF_REG_1);
  a.and_imm(BPF_REG_2, XDP_ADDR_OWNED);
  a.jump_imm(BPF_JNE, BPF_REG_2, 0, Asm::REDIRECT);
  a.and_imm(BPF_REG_1, XDP_ADDR_LOCAL);
  a.jump_imm(BPF_JNE, BPF_REG_1, 0, Asm::PASS);
  a.here(Asm::SRC);
  a.store(BPF_W, BPF_REG_10, -4, BPF_REG_7);
  lookup_stacked(a, addrs_fd);
  a.jump_imm(BPF_JEQ, BPF_REG_0, 0, Asm::PASS);
  a.load(BPF_W, BPF_REG_1, BPF_REG_0, 0);
  a.and_imm(BPF_REG_1, XDP_ADDR_NAT_SOURCE);
  a.jump_imm(BPF_JEQ, BPF_REG_1, 0, Asm::PASS);
  a.here(Asm::REDIRECT);
  a.load(BPF_W, BPF_REG_2, BPF_REG_6, kXdpRxQueue);
  a.map_fd(BPF_REG_1, xsks_fd);
  a.mov_imm(BPF_REG_3, XDP_PASS);  // no socket on this queue: the kernel gets the frame
  a.call(BPF_FUNC_redirect_map);
  a.exit();
  a.here(Asm::PASS);
  a.mov_imm(BPF_REG_0, XDP_PASS);
  a.exit();
  return a.finish();
}

std::string errno_text(int err) { return strerror(err < 0 ? -err : err); }

}  // namespace

XdpProgram::~XdpProgram() { close(); }

void XdpProgram::close() {
  for (int* fd : {&link_fd_, &prog_fd_, &addrs_fd_, &xsks_fd_}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
}

bool XdpProgram::load(std::string& error) {
  xsks_fd_ = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "director_xsks", 4, 4, MAX_QUEUES, nullptr);
  if (xsks_fd_ < 0) {
    error = "cannot create the XSKMAP: " + errno_text(errno);
    return false;
  }
  addrs_fd_ = bpf_map_create(BPF_MAP_TYPE_HASH, "director_addrs", 4, 4, MAX_ADDRESSES, nullptr);
  if (addrs_fd_ < 0) {
    error = "cannot create the address map: " + errno_text(errno);
    return false;
  }
  std::vector<bpf_insn> code = assemble(addrs_fd_, xsks_fd_);
  std::vector<char> log(16384);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 0, .log_size = 0, .log_buf = nullptr);
  prog_fd_ = bpf_prog_load(BPF_PROG_TYPE_XDP, "director_xsk", "GPL", code.data(), code.size(), &opts);
  if (prog_fd_ >= 0) return true;
  int err = errno;
  // Load again with the verifier log only to explain the failure.
  opts.log_level = 1;
  opts.log_size = static_cast<uint32_t>(log.size());
  opts.log_buf = log.data();
  bpf_prog_load(BPF_PROG_TYPE_XDP, "director_xsk", "GPL", code.data(), code.size(), &opts);
  error = "the kernel refused the XDP program: " + errno_text(err) + "; verifier: " + log.data();
  return false;
}

bool XdpProgram::link(uint32_t ifindex, uint32_t flags, std::string& error) {
  LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
  link_fd_ = bpf_link_create(prog_fd_, static_cast<int>(ifindex), BPF_XDP, &opts);
  if (link_fd_ >= 0) return true;
  error = std::string("cannot attach XDP (") + (flags == XDP_FLAGS_DRV_MODE ? "native" : "generic") +
          ") to ifindex " + std::to_string(ifindex) + ": " + errno_text(errno);
  return false;
}

bool XdpProgram::open(uint32_t ifindex, XdpAttach attach, std::string& error) {
  if (!load(error)) return false;
  if (attach != XdpAttach::GENERIC) {
    native_ = link(ifindex, XDP_FLAGS_DRV_MODE, error);
    if (native_ || attach == XdpAttach::NATIVE) return native_;
  }
  std::string native_error = error;
  if (link(ifindex, XDP_FLAGS_SKB_MODE, error)) return true;
  if (!native_error.empty()) error = native_error + "; " + error;
  return false;
}

bool XdpProgram::bind_socket(uint32_t queue, int xsk_fd, std::string& error) {
  if (bpf_map_update_elem(xsks_fd_, &queue, &xsk_fd, BPF_ANY) == 0) return true;
  error = "cannot put the socket into the XSKMAP: " + errno_text(errno);
  return false;
}

bool XdpProgram::set_addresses(const uint32_t* addrs, const uint32_t* flags, uint32_t count,
                               std::string& error) {
  if (count > MAX_ADDRESSES) {
    error = "at most " + std::to_string(MAX_ADDRESSES) + " addresses";
    return false;
  }
  std::unordered_map<uint32_t, uint32_t> wanted;  // an address listed twice gets both flags
  for (uint32_t i = 0; i < count; i++) wanted[htonl(addrs[i])] |= flags[i];
  for (const auto& [key, value] : wanted) {
    if (bpf_map_update_elem(addrs_fd_, &key, &value, BPF_ANY) != 0) {
      error = "cannot update the address map: " + errno_text(errno);
      return false;
    }
  }
  // Delete what is no longer wanted only after adding the new set, so no owned address is
  // missing from the map for a moment.
  std::vector<uint32_t> stale;
  uint32_t key = 0, next = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(addrs_fd_, prev, &next) == 0) {
    if (!wanted.count(next)) stale.push_back(next);
    key = next;
    prev = &key;
  }
  for (uint32_t k : stale) bpf_map_delete_elem(addrs_fd_, &k);
  return true;
}

}  // namespace director::io
#endif  // DIRECTOR_WITH_XDP

// Two AF_PACKET rings on one interface that take turns: a PACKET_FANOUT group of the classic-BPF
// kind whose program names the one member that receives every frame. Replacing the program
// (PACKET_FANOUT_DATA) moves all traffic to the other member in one step, with no frame lost or
// seen twice; the adaptive port uses it to switch between its per-frame and block rings.
#pragma once
#include <cstdint>
#include <string>

namespace director::io {

// Whether this kernel keeps a group's members from seeing their own transmitted frames.
bool fanout_supported(std::string& error);
// Puts the bound socket `first` in a new group of its own (the kernel picks an unused id).
bool fanout_create(int first, uint16_t& id, std::string& error);
// Adds the bound socket `other` to group id as its next member (index 1 for the second).
bool fanout_join(int other, uint16_t id, std::string& error);
// Sends every frame of the group to member `index` (join order, from 0); any member's fd works.
bool fanout_steer(int member, uint32_t index, std::string& error);

// A socket filter that accepts nothing, and its removal: a socket about to join a group is bound
// with it so that it queues no frame of its own before it is a member.
bool filter_drop_all(int fd, std::string& error);
bool filter_remove(int fd, std::string& error);

}  // namespace director::io

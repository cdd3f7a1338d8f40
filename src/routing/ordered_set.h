// Internal: the ordered set behind every routing queue and agent list.
//
// Most routing sets are small (a class's few waiting tickets, the handful of
// agents with room) and change at their ends (FIFO queues take new tickets at
// the back and give the front away). A B-tree pays for its generality there:
// a node allocated and freed whenever the set empties and refills, and a
// generic search per operation. So the set is a sorted array with a movable
// front while it is small, and an absl::btree_set once it grows past
// kToTree elements (back to the array below kToArray, so a set hovering at
// the boundary does not convert on every call). In the array:
//   - insert at the back or (after a front erase) at the front is O(1),
//   - erase of the front or the back is O(1),
//   - anything else is a binary search and a move of at most kToTree
//     elements.
// The tree keeps the O(log n) bound for large queues (100,000 queued tickets
// in one class).
//
// Elements must be unique under operator< (the routing keys end with an id).
#ifndef HELPDESK_SRC_ROUTING_ORDERED_SET_H_
#define HELPDESK_SRC_ROUTING_ORDERED_SET_H_

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <vector>

#include "absl/container/btree_set.h"

namespace helpdesk::routing_internal {

template <typename T>
class OrderedSet {
  using Tree = absl::btree_set<T>;

 public:
  static constexpr size_t kToTree = 128;
  static constexpr size_t kToArray = 32;

  // A forward iterator over either representation. Invalidated by any
  // change to the set.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;

    const_iterator() = default;
    reference operator*() const { return array_ ? *p_ : *it_; }
    pointer operator->() const { return &**this; }
    const_iterator& operator++() {
      if (array_) {
        ++p_;
      } else {
        ++it_;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.array_ ? a.p_ == b.p_ : a.it_ == b.it_;
    }

   private:
    friend class OrderedSet;
    explicit const_iterator(const T* p) : array_(true), p_(p) {}
    explicit const_iterator(typename Tree::const_iterator it)
        : array_(false), it_(it) {}

    bool array_ = true;
    const T* p_ = nullptr;
    typename Tree::const_iterator it_;
  };
  using iterator = const_iterator;

  // Kept as a count: the routing engine asks "empty?" many times per
  // decision, and the array's size is a subtraction and a division.
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }

  const_iterator begin() const {
    return tree_ ? const_iterator(tree_set_.begin())
                 : const_iterator(v_.data() + head_);
  }
  const_iterator end() const {
    return tree_ ? const_iterator(tree_set_.end())
                 : const_iterator(v_.data() + v_.size());
  }
  // The first element; the set must not be empty.
  const T& front() const { return tree_ ? *tree_set_.begin() : v_[head_]; }

  // The first element greater than `x`.
  const_iterator upper_bound(const T& x) const {
    if (tree_) return const_iterator(tree_set_.upper_bound(x));
    const auto it = std::upper_bound(v_.begin() + Head(), v_.end(), x);
    return const_iterator(v_.data() + (it - v_.begin()));
  }

  // Inserts `x`, which must not be in the set. The common cases (an empty
  // set, the back, the front after a front erase) are inline; the rest is
  // out of line, so callers stay small.
  void insert(const T& x) {
    if (!tree_) {
      if (count_ == 0) {
        v_.clear();
        head_ = 0;
        v_.push_back(x);
        count_ = 1;
        return;
      }
      if (v_.back() < x && v_.size() < v_.capacity() && count_ < kToTree) {
        v_.push_back(x);
        ++count_;
        return;
      }
      if (head_ > 0 && x < v_[head_] && count_ < kToTree) {
        v_[--head_] = x;
        ++count_;
        return;
      }
    }
    InsertSlow(x);
  }

  // Erases `x`; returns whether it was there. Erasing the front (or the
  // back) of the array is inline; the rest is out of line.
  bool erase(const T& x) {
    if (!tree_ && count_ > 0 && !(v_[head_] < x) && !(x < v_[head_])) {
      ++head_;
      if (--count_ == 0) {
        v_.clear();
        head_ = 0;
      } else if (head_ >= kToArray && 2 * head_ >= v_.size()) {
        DropErasedFront();
      }
      return true;
    }
    return EraseSlow(x);
  }

 private:
  std::ptrdiff_t Head() const { return static_cast<std::ptrdiff_t>(head_); }

  [[gnu::noinline]] void InsertSlow(const T& x) {
    ++count_;
    if (tree_) {
      tree_set_.insert(x);
      return;
    }
    if (v_.back() < x) {
      v_.push_back(x);
    } else {
      v_.insert(std::lower_bound(v_.begin() + Head(), v_.end(), x), x);
    }
    if (size() > kToTree) ToTree();
  }

  [[gnu::noinline]] bool EraseSlow(const T& x) {
    if (tree_) {
      const bool erased = tree_set_.erase(x) > 0;
      count_ -= erased ? 1 : 0;
      if (tree_set_.size() < kToArray) ToArray();
      return erased;
    }
    if (count_ == 0) return false;
    if (!(v_.back() < x) && !(x < v_.back())) {
      v_.pop_back();
      --count_;
      return true;
    }
    auto it = std::lower_bound(v_.begin() + Head(), v_.end(), x);
    if (it == v_.end() || x < *it) return false;
    v_.erase(it);
    --count_;
    return true;
  }

  // A queue that never empties: drop the erased front, amortised O(1).
  [[gnu::noinline]] void DropErasedFront() {
    v_.erase(v_.begin(), v_.begin() + Head());
    head_ = 0;
  }
  void ToTree() {
    tree_set_.insert(v_.begin() + Head(), v_.end());
    v_.clear();
    head_ = 0;
    tree_ = true;
  }
  void ToArray() {
    v_.assign(tree_set_.begin(), tree_set_.end());
    head_ = 0;
    tree_set_.clear();
    tree_ = false;
  }

  bool tree_ = false;
  // The array: elements v_[head_, v_.size()), count_ of them, sorted.
  std::vector<T> v_;
  size_t head_ = 0;
  // Elements in the set (either representation).
  size_t count_ = 0;
  Tree tree_set_;
};

}  // namespace helpdesk::routing_internal

#endif  // HELPDESK_SRC_ROUTING_ORDERED_SET_H_

// Internal: the ordered set behind every routing queue and agent list.
//
// Most routing sets are small (a class's few waiting tickets, the handful of
// agents with room) and change at their ends (FIFO queues take new tickets at
// the back and give the front away). A B-tree pays for its generality there:
// a node allocated and freed whenever the set empties and refills, and a
// generic search per operation. So the set is a sorted array with room at
// both ends while it is small, and an absl::btree_set once it grows past
// kToTree elements (back to the array below kToArray, so a set hovering at
// the boundary does not convert on every call). In the array:
//   - insert at the back or (after a front erase) at the front is O(1),
//   - erase of the front is O(1),
//   - anything else is a binary search and a move of at most kToTree
//     elements; when the array reaches the end of its buffer it moves to
//     the front (if under half full) or into a buffer twice the size, so a
//     FIFO queue costs amortised O(1) per element.
// The array is a plain buffer rather than a std::vector: the routing engine
// does a few set operations per decision, and vector's push_back and erase
// are calls.
// The tree keeps the O(log n) bound for large queues (100,000 queued tickets
// in one class).
//
// Elements must be unique under operator< (the routing keys end with an id)
// and trivially copyable.
#ifndef HELPDESK_SRC_ROUTING_ORDERED_SET_H_
#define HELPDESK_SRC_ROUTING_ORDERED_SET_H_

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <iterator>
#include <memory>
#include <type_traits>

#include "absl/container/btree_set.h"

namespace helpdesk::routing_internal {

template <typename T>
class OrderedSet {
  static_assert(std::is_trivially_copyable_v<T>);
  using Tree = absl::btree_set<T>;

 public:
  static constexpr size_t kToTree = 128;
  static constexpr size_t kToArray = 32;

  OrderedSet() = default;
  OrderedSet(const OrderedSet&) = delete;
  OrderedSet& operator=(const OrderedSet&) = delete;

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
  // decision.
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  // The array's buffer, in elements (tests check that a queue's does not
  // grow without bound).
  size_t buffer_size() const { return cap_; }

  const_iterator begin() const {
    return tree_ ? const_iterator(tree_set_.begin())
                 : const_iterator(buf_.get() + head_);
  }
  const_iterator end() const {
    return tree_ ? const_iterator(tree_set_.end())
                 : const_iterator(buf_.get() + tail_);
  }
  // The first element; the set must not be empty.
  const T& front() const { return tree_ ? *tree_set_.begin() : buf_[head_]; }

  // The first element greater than `x`.
  const_iterator upper_bound(const T& x) const {
    if (tree_) return const_iterator(tree_set_.upper_bound(x));
    return const_iterator(
        std::upper_bound(buf_.get() + head_, buf_.get() + tail_, x));
  }

  // Inserts `x`, which must not be in the set. The common cases (an empty
  // set, the back, the front after a front erase) are inline; the rest is
  // out of line, so callers stay small.
  [[gnu::always_inline]] void insert(const T& x) {
    if (!tree_) {
      if (count_ == 0 && cap_ > 0) {
        buf_[0] = x;
        head_ = 0;
        tail_ = 1;
        count_ = 1;
        return;
      }
      if (count_ > 0 && tail_ < cap_ && buf_[tail_ - 1] < x &&
          count_ < kToTree) {
        buf_[tail_++] = x;
        ++count_;
        return;
      }
      if (head_ > 0 && count_ > 0 && x < buf_[head_] && count_ < kToTree) {
        buf_[--head_] = x;
        ++count_;
        return;
      }
    }
    InsertSlow(x);
  }

  // Erases `x`; returns whether it was there. Erasing the front of the
  // array is inline; the rest is out of line.
  [[gnu::always_inline]] bool erase(const T& x) {
    if (!tree_ && count_ > 0 && !(buf_[head_] < x) && !(x < buf_[head_])) {
      ++head_;
      if (--count_ == 0) head_ = tail_ = 0;
      return true;
    }
    return EraseSlow(x);
  }

 private:
  [[gnu::noinline]] void InsertSlow(const T& x) {
    if (tree_) {
      tree_set_.insert(x);
      ++count_;
      return;
    }
    if (count_ + 1 > kToTree) {
      ToTree();
      tree_set_.insert(x);
      ++count_;
      return;
    }
    if (tail_ == cap_) {
      // No room at the back. Under half full: move the elements to the
      // front of the buffer; else into one twice the size. Either leaves
      // room for as many inserts as there are elements: amortised O(1).
      if (2 * count_ < cap_) {
        std::memmove(buf_.get(), buf_.get() + head_, count_ * sizeof(T));
      } else {
        const size_t cap = std::max<size_t>(4, 2 * cap_);
        std::unique_ptr<T[]> buf(new T[cap]);
        if (count_ > 0) {
          std::memcpy(buf.get(), buf_.get() + head_, count_ * sizeof(T));
        }
        buf_ = std::move(buf);
        cap_ = cap;
      }
      head_ = 0;
      tail_ = count_;
    }
    // Move the larger elements up one.
    T* const last = buf_.get() + tail_;
    T* const at = std::lower_bound(buf_.get() + head_, last, x);
    std::memmove(at + 1, at, static_cast<size_t>(last - at) * sizeof(T));
    *at = x;
    ++tail_;
    ++count_;
  }

  [[gnu::noinline]] bool EraseSlow(const T& x) {
    if (tree_) {
      const bool erased = tree_set_.erase(x) > 0;
      count_ -= erased ? 1 : 0;
      if (tree_set_.size() < kToArray) ToArray();
      return erased;
    }
    if (count_ == 0) return false;
    T* const first = buf_.get() + head_;
    T* const last = buf_.get() + tail_;
    T* const at = std::lower_bound(first, last, x);
    if (at == last || x < *at) return false;
    // Close the gap from the nearer end.
    if (at - first < last - at) {
      std::memmove(first + 1, first,
                   static_cast<size_t>(at - first) * sizeof(T));
      ++head_;
    } else {
      std::memmove(at, at + 1, static_cast<size_t>(last - at - 1) * sizeof(T));
      --tail_;
    }
    if (--count_ == 0) head_ = tail_ = 0;
    return true;
  }

  void ToTree() {
    tree_set_.insert(buf_.get() + head_, buf_.get() + tail_);
    head_ = tail_ = 0;
    tree_ = true;
  }
  void ToArray() {
    if (cap_ < tree_set_.size()) {
      cap_ = std::max<size_t>(kToArray, 2 * tree_set_.size());
      buf_.reset(new T[cap_]);
    }
    std::copy(tree_set_.begin(), tree_set_.end(), buf_.get());
    head_ = 0;
    tail_ = tree_set_.size();
    tree_set_.clear();
    tree_ = false;
  }

  bool tree_ = false;
  // The array: elements buf_[head_, tail_), sorted, in a buffer of cap_.
  std::unique_ptr<T[]> buf_;
  size_t cap_ = 0;
  size_t head_ = 0;
  size_t tail_ = 0;
  // Elements in the set (either representation).
  size_t count_ = 0;
  Tree tree_set_;
};

}  // namespace helpdesk::routing_internal

#endif  // HELPDESK_SRC_ROUTING_ORDERED_SET_H_

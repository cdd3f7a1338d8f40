// A host runs the Store conformance suite from the installed package: here on
// the memory store, as a host would on its own Store. Built when the package
// has helpdesk::store_conformance (installed with GoogleTest present).
#include <memory>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "helpdesk/storage/memory_store.h"
#include "helpdesk/store.h"
#include "helpdesk/testing/store_conformance.h"

namespace {

using helpdesk::testing::StoreConformanceTest;
using helpdesk::testing::StoreFactory;
using helpdesk::testing::StoreFactoryName;

INSTANTIATE_TEST_SUITE_P(
    Consumer, StoreConformanceTest,
    ::testing::Values(StoreFactory{
        "memory", []() -> absl::StatusOr<std::unique_ptr<helpdesk::Store>> {
          return helpdesk::NewMemoryStore();
        }}),
    StoreFactoryName());

}  // namespace

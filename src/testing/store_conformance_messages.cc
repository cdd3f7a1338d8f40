// The Store conformance suite: messages and attachment contents.
// Part of helpdesk::store_conformance; the fixture and how to run the suite
// are in helpdesk/testing/store_conformance.h.
#include <memory>
#include <string>
#include <vector>

#include "helpdesk/testing/store_conformance.h"
#include "testing/store_conformance_internal.h"

namespace helpdesk::testing {

TEST_P(StoreConformanceTest, InsertMessageAssignsIncreasingIdsAndOrigin) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  // The store does not check that the ticket exists.
  v1::Message first = sci::MakeMessage(5, "first");
  first.set_kind(v1::Message::PUBLIC_REPLY);
  first.mutable_author()->set_kind(v1::Actor::AGENT);
  first.mutable_author()->set_id(3);
  first.set_body_html("<p>first</p>");
  first.set_external_id("<abc@mail.example.com>");
  v1::Attachment* attachment = first.add_attachments();
  attachment->set_file_name("log.txt");
  attachment->set_media_type("text/plain");
  attachment->set_size(12);
  attachment->set_sha256(sci::Sha256Of('d'));
  HELPDESK_ASSERT_OK(tx->InsertMessage(&first));
  EXPECT_GT(first.id(), 0);
  EXPECT_EQ(first.origin_ticket_id(), 5);
  const v1::Message first_as_inserted = first;
  first.set_body_text("changed after InsertMessage returned");

  v1::Message second = sci::MakeMessage(5, "second, with an origin");
  second.set_origin_ticket_id(3);
  HELPDESK_ASSERT_OK(tx->InsertMessage(&second));
  EXPECT_GT(second.id(), first.id());
  EXPECT_EQ(second.origin_ticket_id(), 3);

  v1::Message no_ticket = sci::MakeMessage(0, "no ticket");
  EXPECT_THAT(tx->InsertMessage(&no_ticket),
              StatusIs(absl::StatusCode::kInvalidArgument));
  v1::Message negative = sci::MakeMessage(-2, "negative ticket");
  EXPECT_THAT(tx->InsertMessage(&negative),
              StatusIs(absl::StatusCode::kInvalidArgument));

  EXPECT_THAT(tx->GetMessage(first.id()),
              sci::IsOkAndHolds(sci::EqualsProto(first_as_inserted)));
  EXPECT_THAT(tx->GetMessage(second.id() + 1000),
              StatusIs(absl::StatusCode::kNotFound));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  v1::Message third = sci::MakeMessage(6, "third");
  HELPDESK_ASSERT_OK(next->InsertMessage(&third));
  EXPECT_GT(third.id(), second.id());
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  EXPECT_THAT(reader->GetMessage(first.id()),
              sci::IsOkAndHolds(sci::EqualsProto(first_as_inserted)));
  EXPECT_THAT(reader->GetMessage(second.id()),
              sci::IsOkAndHolds(sci::EqualsProto(second)));
  EXPECT_THAT(reader->GetMessage(third.id()),
              sci::IsOkAndHolds(sci::EqualsProto(third)));
  EXPECT_THAT(reader->GetMessage(0), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, ListMessagesReturnsATicketsMessagesById) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Message> on5;
  std::vector<v1::Message> on6;
  for (int i = 0; i < 6; ++i) {
    const int64_t ticket = (i % 3 == 1) ? 6 : 5;
    v1::Message m = sci::MakeMessage(ticket, absl::StrCat("message ", i));
    HELPDESK_ASSERT_OK(tx->InsertMessage(&m));
    (ticket == 5 ? on5 : on6).push_back(m);
  }
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> listed5,
                       reader->ListMessages(5));
  EXPECT_EQ(sci::IdsOfList(listed5), sci::IdsOfList(on5));
  ASSERT_EQ(listed5.size(), on5.size());
  for (size_t i = 0; i < on5.size(); ++i) {
    EXPECT_THAT(listed5[i], sci::EqualsProto(on5[i]));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> listed6,
                       reader->ListMessages(6));
  EXPECT_EQ(sci::IdsOfList(listed6), sci::IdsOfList(on6));
  EXPECT_THAT(reader->ListMessages(777),
              sci::IsOkAndHolds(::testing::IsEmpty()));
}

TEST_P(StoreConformanceTest, MoveMessagesKeepsTheOriginTicket) {
  namespace sci = store_conformance_internal;
  std::vector<v1::Ticket> t = {sci::MakeTicket("from", 0),
                               sci::MakeTicket("to", 1)};
  HELPDESK_ASSERT_OK(InsertCommitted(t));
  const int64_t from = t[0].id();
  const int64_t to = t[1].id();
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  std::vector<v1::Message> m;
  for (int i = 0; i < 5; ++i) {
    m.push_back(sci::MakeMessage(i % 2 == 0 ? from : to, absl::StrCat(i)));
    HELPDESK_ASSERT_OK(tx->InsertMessage(&m.back()));
  }
  HELPDESK_ASSERT_OK_AND_ASSIGN(int64_t moved, tx->MoveMessages(from, to));
  EXPECT_EQ(moved, 3);
  EXPECT_THAT(tx->ListMessages(from), sci::IsOkAndHolds(::testing::IsEmpty()));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadWrite());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::vector<v1::Message> on_to,
                       reader->ListMessages(to));
  ASSERT_EQ(on_to.size(), 5u);
  for (size_t i = 0; i < on_to.size(); ++i) {
    v1::Message expected = m[i];
    expected.set_ticket_id(to);
    EXPECT_THAT(on_to[i], sci::EqualsProto(expected));
    EXPECT_EQ(on_to[i].origin_ticket_id(), i % 2 == 0 ? from : to);
  }
  EXPECT_THAT(reader->ListMessages(from),
              sci::IsOkAndHolds(::testing::IsEmpty()));
  HELPDESK_ASSERT_OK_AND_ASSIGN(v1::Message first, reader->GetMessage(m[0].id()));
  EXPECT_EQ(first.ticket_id(), to);
  EXPECT_EQ(first.origin_ticket_id(), from);
  // Nothing left to move.
  EXPECT_THAT(reader->MoveMessages(from, to), sci::IsOkAndHolds(int64_t{0}));
  EXPECT_THAT(reader->MoveMessages(424242, to), sci::IsOkAndHolds(int64_t{0}));
}

TEST_P(StoreConformanceTest, AttachmentContentIsStoredOnceByAddress) {
  namespace sci = store_conformance_internal;
  std::string binary;
  for (int i = 0; i < 256 * 1024; ++i) {
    binary.push_back(static_cast<char>((i * 131) % 256));
  }
  const std::string kEmptySha =
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('1'), binary));
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(kEmptySha, ""));
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('1'), binary));
  HELPDESK_ASSERT_OK(tx->Commit());
  tx.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> next, BeginReadWrite());
  // Storing the same address again succeeds and keeps one copy.
  HELPDESK_ASSERT_OK(next->PutAttachmentContent(sci::Sha256Of('1'), binary));
  EXPECT_THAT(next->GetAttachmentContent(sci::Sha256Of('1')),
              sci::IsOkAndHolds(binary));
  HELPDESK_ASSERT_OK(next->Commit());
  next.reset();

  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> reader, BeginReadOnly());
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::string content,
                       reader->GetAttachmentContent(sci::Sha256Of('1')));
  EXPECT_EQ(content.size(), binary.size());
  EXPECT_TRUE(content == binary) << "binary content differs";
  EXPECT_THAT(reader->GetAttachmentContent(kEmptySha),
              sci::IsOkAndHolds(std::string()));
  EXPECT_THAT(reader->GetAttachmentContent(sci::Sha256Of('2')),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(StoreConformanceTest, PutAttachmentContentRefusesAMalformedAddress) {
  namespace sci = store_conformance_internal;
  HELPDESK_ASSERT_OK_AND_ASSIGN(std::unique_ptr<Transaction> tx, BeginReadWrite());
  const std::vector<std::string> kMalformed = {
      "",
      std::string(63, 'a'),
      std::string(65, 'a'),
      std::string(64, 'A'),
      std::string(63, 'a') + "g",
      std::string(63, 'a') + " ",
      "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
      std::string(32, 'a'),
      std::string("\0", 1) + std::string(63, 'a'),
      "../../etc/passwd",
  };
  for (const std::string& address : kMalformed) {
    EXPECT_THAT(tx->PutAttachmentContent(address, "x"),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "address '" << absl::CHexEscape(address) << "'";
  }
  HELPDESK_ASSERT_OK(tx->PutAttachmentContent(sci::Sha256Of('f'), "ok"));
  HELPDESK_ASSERT_OK(tx->Commit());
}
}  // namespace helpdesk::testing

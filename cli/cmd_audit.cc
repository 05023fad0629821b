// `bukong audit ...`: tools for the audit log (docs/CLI.md, docs/storage.md).
//
//   salvage     the explicit, logged way past a database that lost acknowledged audit
//               records (Store::Open refuses it, naming the lost records): records the lost
//               range in the database and in DIR/salvage.log, prints exactly what was lost,
//               and lets the log continue after the last acknowledged record (numbers are
//               never reused); `replay` names the lost range from then on.
//   keygen      an Ed25519 key pair for signed checkpoints: KEY (0600) and KEY.pub (0644).
//   checkpoint  a signed statement of the last acknowledged record (number, chain hash, key
//               id, UTC time): kept elsewhere, it lets `replay --checkpoint` catch a log that
//               was rebuilt consistently after it was signed (issue #16 item 4).
//   export      the audit log as JSON Lines, one record per line with its chain fields and
//               its stored bytes, for archives.
//   verify      an export checked with no database: the chain recomputed from the stored
//               bytes, every readable field equal to them, and optional checkpoints.
#include <fmt/format.h>
#include <sodium.h>
#include <unistd.h>

#include <simdjson.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "cli/command.h"
#include "cli/support_checkpoint.h"
#include "cli/support_profile_json.h"
#include "cli/support_status.h"
#include "cli/support_store.h"
#include "core/json.h"
#include "storage/audit_export.h"
#include "storage/checkpoint.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

std::string Hex(const Sha256Digest& d) { return ToHex(d); }

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool FromBase64(std::string_view text, std::string* out) {
  out->assign(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out->data()), out->size(), text.data(),
                        text.size(), nullptr, &len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return false;
  }
  out->resize(len);
  return true;
}

bool FromHex32(std::string_view hex, Sha256Digest* out) {
  if (hex.size() != 64) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  size_t len = 0;
  return sodium_hex2bin(out->data(), out->size(), hex.data(), hex.size(), nullptr, &len,
                        nullptr) == 0 &&
         len == 32;
}

// One exported record: the chain fields, the record's fields in readable form, and the
// stored bytes (base64) that the chain hash covers. `verify` renders the same line from the
// bytes and compares, so the readable fields cannot drift from what was hashed.
std::string ExportLine(const storage::ChainLink& link, const storage::AuditRecord& r) {
  std::string out = fmt::format(R"({{"seq":{},"prev":"{}","hash":"{}","declaration_id":)",
                                link.seq, Hex(link.prev), Hex(link.hash));
  AppendJsonString(out, r.declaration_id);
  out += ",\"enterprise\":";
  AppendJsonString(out, r.enterprise);
  out += ",\"ruleset_sha256\":";
  AppendJsonString(out, r.ruleset_sha256);
  out += ",\"key_id\":";
  AppendJsonString(out, r.key_id);
  out += ",\"profile\":";
  out += r.profile ? ProfileJson(*r.profile) : "null";
  out += ",\"declaration\":";
  AppendJsonString(out, r.declaration);
  out += ",\"decision\":";
  AppendJsonString(out, r.decision);
  // SPEC §7.1: the full digests of the list versions, only for a record that keeps them (so
  // the export of a record without lists, and of an older database, is as before).
  if (!r.lists.empty()) {
    out += ",\"lists\":{";
    for (size_t i = 0; i < r.lists.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendJsonString(out, r.lists[i].name);
      out.push_back(':');
      AppendJsonString(out, r.lists[i].digest);
    }
    out.push_back('}');
  }
  out += ",\"body\":\"";
  out += Base64(link.body);
  out += "\"}";
  return out;
}

class AuditCommand : public Command {
 public:
  int Order() const override { return 95; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "audit", "Tools for the audit log: salvage, keygen, checkpoint, export, verify");
    sub->require_subcommand(1);
    salvage_ = sub->add_subcommand(
        "salvage",
        "Continue an audit log that lost acknowledged records to damage: record exactly what "
        "was lost (in the database and DIR/salvage.log) and number on after it");
    salvage_->add_option("--db", db_, "Database folder")->required();

    keygen_ = sub->add_subcommand(
        "keygen",
        "Make an Ed25519 key pair for signed checkpoints: KEY (secret, mode 0600) and KEY.pub");
    keygen_->add_option("-o,--output", key_out_, "Secret key file to create (KEY.pub beside it)")
        ->required();

    checkpoint_ = sub->add_subcommand(
        "checkpoint",
        "Sign the last acknowledged audit record (number, chain hash, key id, UTC time); keep "
        "the file away from the database");
    checkpoint_->add_option("--db", db_, "Database folder")->required();
    checkpoint_->add_option("--signing-key", signing_key_, "Secret key file (from audit keygen)")
        ->required();
    checkpoint_->add_option("-o,--output", out_, "Checkpoint file to create")->required();

    export_ = sub->add_subcommand(
        "export", "Write the audit log as JSON Lines with its chain fields (for archives)");
    export_->add_option("--db", db_, "Database folder")->required();
    export_->add_option("-o,--output", out_, "Output file (default: standard output)");
    export_->add_option("--from", from_, "First sequence number (default 1)")
        ->check(SequenceNumberValidator());
    export_->add_option("--to", to_, "Last sequence number (default: the chain head)")
        ->check(SequenceNumberValidator());

    verify_ = sub->add_subcommand(
        "verify", "Check an export with no database: the chain, every field, and checkpoints");
    verify_->add_option("export", export_file_, "File written by audit export")->required();
    auto* ckpt = verify_->add_option("--checkpoint", checkpoints_,
                                     "Signed checkpoint file(s) the export must extend");
    auto* keys = verify_->add_option("--public-key", public_keys_,
                                     "Public key file(s) (KEY.pub) of the checkpoints");
    ckpt->needs(keys);
    keys->needs(ckpt);
    sub->footer(
        "Exit status: 0 success; 1 a failure or a verification that does not hold (named on\n"
        "stdout or stderr); 2 a bad command line.");
    return sub;
  }

  int Run() override {
    if (salvage_->parsed()) return Salvage();
    if (keygen_->parsed()) return Keygen();
    if (checkpoint_->parsed()) return MakeCheckpoint();
    if (export_->parsed()) return Export();
    if (verify_->parsed()) return Verify();
    return kExitUsage;
  }

 private:
  int Salvage() {
    auto report = storage::Store::Salvage(db_);
    if (!report.ok()) {
      fmt::print(stderr, "bukong audit salvage: {}: {}\n", db_, Message(report.status()));
      return kExitFailure;
    }
    fmt::print("{}\n", report->message);
    return kExitOk;
  }

  int Keygen() {
    const storage::CheckpointSigningKey key = storage::CheckpointSigningKey::Generate();
    if (absl::Status s = storage::WriteCheckpointKeyPair(key_out_, key); !s.ok()) {
      fmt::print(stderr, "bukong audit keygen: {}\n", Message(s));
      return kExitFailure;
    }
    fmt::print(
        "key {}: secret key in {} (mode 0600), public key in {}.pub\n"
        "Keep {} away from the database's machine and its administrators (whoever holds it "
        "can sign a rewritten log); give {}.pub to whoever verifies.\n",
        key.public_key().id, key_out_, key_out_, key_out_, key_out_);
    return kExitOk;
  }

  int MakeCheckpoint() {
    auto key = storage::CheckpointSigningKey::Load(signing_key_);
    if (!key.ok()) {
      fmt::print(stderr, "bukong audit checkpoint: {}\n", Message(key.status()));
      return kExitFailure;
    }
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "audit checkpoint");
    if (!store) return kExitFailure;
    auto c = storage::MakeCheckpoint(*store, *key, absl::Now());
    if (!c.ok()) {
      fmt::print(stderr, "bukong audit checkpoint: {}: {}\n", db_, Message(c.status()));
      return kExitFailure;
    }
    if (absl::Status s = storage::WriteCheckpointFile(out_, *c); !s.ok()) {
      fmt::print(stderr, "bukong audit checkpoint: {}\n", Message(s));
      return kExitFailure;
    }
    fmt::print("checkpoint {}: record {} (chain hash {}), signed by key {} at {}\n", out_, c->seq,
               c->chain_head, c->key_id, c->time);
    return kExitOk;
  }

  int Export() {
    std::unique_ptr<storage::Store> store = OpenStoreForReading(db_, "audit export");
    if (!store) return kExitFailure;
    const uint64_t head = store->Head().seq;
    const uint64_t from = from_, to = to_ == 0 ? head : to_;
    if (from > to && (to_ != 0 || from_ > 1)) {
      fmt::print(stderr, "bukong audit export: --from {} is after {} {}\n", from,
                 to_ != 0 ? "--to" : "the last record,", to);
      return kExitUsage;
    }
    // To a temporary file renamed into place at the end: a failed export leaves no half
    // file, and an earlier export under the same name stays as it was.
    const std::string tmp = out_.empty() ? "" : fmt::format("{}.tmp-{}", out_, ::getpid());
    std::FILE* f = out_.empty() ? stdout : std::fopen(tmp.c_str(), "wbx");
    if (f == nullptr) {
      fmt::print(stderr, "bukong audit export: {}: cannot create: {}\n", tmp, std::strerror(errno));
      return kExitFailure;
    }
    uint64_t records = 0, first_seq = 0, last_seq = 0;
    std::string line;
    absl::Status s = storage::ScanAuditChain(*store, from, to, [&](const storage::ChainLink& link) {
      auto record = storage::DecodeStoredAuditBody(link.body);
      if (!record.ok()) {
        return absl::DataLossError(
            fmt::format("record {} does not decode: {}", link.seq, Message(record.status())));
      }
      line = ExportLine(link, *record);
      line += '\n';
      if (std::fwrite(line.data(), 1, line.size(), f) != line.size()) {
        return absl::UnavailableError(fmt::format("writing: {}", std::strerror(errno)));
      }
      if (records++ == 0) first_seq = link.seq;
      last_seq = link.seq;
      return absl::OkStatus();
    });
    bool ok = s.ok();
    if (ok && std::fflush(f) != 0) {
      s = absl::UnavailableError(fmt::format("writing: {}", std::strerror(errno)));
      ok = false;
    }
    if (!out_.empty()) {
      ok = ok && ::fsync(fileno(f)) == 0;
      ok = (std::fclose(f) == 0) && ok;
      ok = ok && std::rename(tmp.c_str(), out_.c_str()) == 0;
      if (!ok) {
        if (s.ok()) s = absl::UnavailableError(fmt::format("writing {}: {}", out_, std::strerror(errno)));
        std::remove(tmp.c_str());
      }
    }
    if (!s.ok()) {
      fmt::print(stderr, "bukong audit export: {}: {}\n", db_, Message(s));
      return kExitFailure;
    }
    fmt::print(stderr, "audit export: {} record{}{} to {}\n", records, records == 1 ? "" : "s",
               records == 0 ? "" : fmt::format(" ({}..{})", first_seq, last_seq),
               out_.empty() ? "standard output" : out_);
    return kExitOk;
  }

  int Verify() {
    std::vector<storage::NamedCheckpoint> checkpoints;
    if (!checkpoints_.empty()) {
      auto loaded = LoadVerifiedCheckpoints(checkpoints_, public_keys_, "audit verify");
      if (!loaded) return kExitFailure;
      checkpoints = *std::move(loaded);
    }
    std::multimap<uint64_t, const storage::NamedCheckpoint*> by_seq;
    for (const auto& c : checkpoints) by_seq.emplace(c.checkpoint.seq, &c);

    std::ifstream in(export_file_, std::ios::binary);
    if (!in) {
      fmt::print(stderr, "bukong audit verify: {}: cannot read: {}\n", export_file_,
                 std::strerror(errno));
      return kExitFailure;
    }
    auto fail = [&](uint64_t line_no, const std::string& message) {
      fmt::print("{}:{}: {}\n", export_file_, line_no, message);
      fmt::print("verify: {}: the export does not verify (first bad line {})\n", export_file_,
                 line_no);
      return kExitFailure;
    };
    simdjson::dom::parser parser, expected_parser;
    std::string line, body;
    uint64_t line_no = 0, first = 0, last = 0;
    Sha256Digest last_hash{};
    std::vector<std::string> extended;
    while (std::getline(in, line)) {
      ++line_no;
      simdjson::dom::object obj;
      if (parser.parse(line).get(obj)) return fail(line_no, "not a JSON object");
      uint64_t seq = 0;
      std::string_view prev_hex, hash_hex, body_b64;
      if (obj["seq"].get_uint64().get(seq) || seq == 0) {
        return fail(line_no, "field \"seq\": expected a sequence number (1, 2, ...)");
      }
      Sha256Digest prev{}, hash{};
      if (obj["prev"].get_string().get(prev_hex) || !FromHex32(prev_hex, &prev)) {
        return fail(line_no, "field \"prev\": expected 64 lower-case hex digits");
      }
      if (obj["hash"].get_string().get(hash_hex) || !FromHex32(hash_hex, &hash)) {
        return fail(line_no, "field \"hash\": expected 64 lower-case hex digits");
      }
      if (obj["body"].get_string().get(body_b64) || !FromBase64(body_b64, &body)) {
        return fail(line_no, "field \"body\": expected the record's stored bytes in base64");
      }
      if (line_no == 1) {
        first = seq;
        if (seq == 1 && prev != Sha256Digest{}) {
          return fail(line_no, "record 1: field \"prev\" must be 64 zeros (the empty chain)");
        }
      } else {
        if (seq != last + 1) {
          return fail(line_no, fmt::format("record {} follows record {}: record {} is expected "
                                           "(records missing, repeated or out of order)",
                                           seq, last, last + 1));
        }
        if (prev != last_hash) {
          return fail(line_no, fmt::format("record {}: field \"prev\" is not the hash of the "
                                           "line before (record {})",
                                           seq, last));
        }
      }
      const Sha256Digest recomputed = storage::AuditChainHash(prev, seq, body);
      if (recomputed != hash) {
        return fail(line_no, fmt::format("record {}: field \"body\" does not match its chain hash "
                                         "(field \"hash\"): the record was changed",
                                         seq));
      }
      auto record = storage::DecodeStoredAuditBody(body);
      if (!record.ok()) {
        return fail(line_no, fmt::format("record {}: field \"body\" does not decode: {}", seq,
                                         Message(record.status())));
      }
      const std::string expected =
          ExportLine(storage::ChainLink{seq, prev, body, hash}, *record);
      if (expected != line) {
        // Name the first readable field that differs from the hashed bytes.
        simdjson::dom::object want;
        if (expected_parser.parse(expected).get(want)) {
          return fail(line_no, "internal error: the expected line does not parse");
        }
        std::string field;
        for (auto [key, value] : want) {
          simdjson::dom::element got;
          if (obj[key].get(got) || simdjson::minify(got) != simdjson::minify(value)) {
            field = std::string(key);
            break;
          }
        }
        return fail(line_no,
                    field.empty()
                        ? fmt::format("record {}: the line is not as `audit export` writes it "
                                      "(fields added, reordered or re-spaced)",
                                      seq)
                        : fmt::format("record {}: field \"{}\" differs from the record's stored "
                                      "bytes (field \"body\", which the chain hash covers)",
                                      seq, field));
      }
      for (auto [it, end] = by_seq.equal_range(seq); it != end; ++it) {
        const storage::NamedCheckpoint& c = *it->second;
        if (Hex(hash) != c.checkpoint.chain_head) {
          return fail(line_no, fmt::format(
                                   "record {}: the export does not extend checkpoint {}: its "
                                   "chain hash is {}, but the checkpoint signed {}",
                                   seq, c.path, Hex(hash), c.checkpoint.chain_head));
        }
        extended.push_back(fmt::format("checkpoint {} (record {}, signed by key {} at {}): extended",
                                       c.path, seq, c.checkpoint.key_id, c.checkpoint.time));
      }
      last = seq;
      last_hash = hash;
    }
    if (in.bad()) {
      fmt::print(stderr, "bukong audit verify: {}: cannot read: {}\n", export_file_,
                 std::strerror(errno));
      return kExitFailure;
    }
    if (line_no == 0) {
      fmt::print("verify: {}: the export holds no records\n", export_file_);
      return kExitFailure;
    }
    bool ok = true;
    for (const auto& c : checkpoints) {
      if (c.checkpoint.seq < first || c.checkpoint.seq > last) {
        fmt::print("verify: checkpoint {} signs record {}, which is not in {} (records {}..{}): "
                   "it cannot be checked against this export\n",
                   c.path, c.checkpoint.seq, export_file_, first, last);
        ok = false;
      }
    }
    for (const std::string& e : extended) fmt::print("verify: {}\n", e);
    if (!ok) return kExitFailure;
    fmt::print("verify: {}: records {}..{} ({}): chain intact, every field matches its stored "
               "bytes{}\n",
               export_file_, first, last, last - first + 1,
               first > 1 ? fmt::format("; record {} chains from the hash this export states for "
                                       "record {} (a checkpoint at or after {} proves it)",
                                       first, first - 1, first)
                         : "");
    return kExitOk;
  }

  CLI::App* salvage_ = nullptr;
  CLI::App* keygen_ = nullptr;
  CLI::App* checkpoint_ = nullptr;
  CLI::App* export_ = nullptr;
  CLI::App* verify_ = nullptr;
  std::string db_, key_out_, signing_key_, out_, export_file_;
  uint64_t from_ = 1, to_ = 0;
  std::vector<std::string> checkpoints_, public_keys_;
};

BUKONG_REGISTER_COMMAND(AuditCommand);

}  // namespace
}  // namespace bukong::cli

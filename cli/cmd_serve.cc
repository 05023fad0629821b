// `bukong serve --db DIR --rules FILE --listen HOST:PORT` — audited decisions over HTTP/1.1
// (docs/service.md, docs/openapi.yaml).
//
// Boost.Beast on Boost.Asio: one acceptor, --threads I/O threads, one session object per
// connection (Beast's example/http/server/async shape), plain TCP or TLS (Beast's
// ssl_stream over OpenSSL). HTTP is parsed by Beast only; JSON is read with simdjson and
// written with core/json.h.
//
// Decisions go through the audited decider (decider/decider.h): a 200 from
// POST /v1/decisions is sent only after the decision's audit record is durable, so every
// decision a client received is in the audit log whenever the process dies. The decider
// calls back on its syncer thread; the response is posted to the session's strand, so an
// I/O thread never waits for an fsync.
//
// Limits: body size (--max-body-bytes), header size (--max-header-bytes), idle time between
// requests (--idle-timeout) and time to read one request (--read-timeout) — a slow client
// is dropped, it does not hold a thread (nothing blocks) — and the number of open connections
// (--max-connections; beyond it a connection is closed at once). Signals: SIGTERM/SIGINT stop
// accepting, answer what is in flight, sync, exit 0; SIGHUP recompiles --rules and swaps it
// in when it has no errors.
#include <fmt/format.h>
#include <simdjson.h>
#include <sodium.h>
#include <sys/stat.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/command.h"
#include "cli/support_lists.h"
#include "cli/support_status.h"
#include "core/json.h"
#include "core/sha256.h"
#include "decider/decider.h"
#include "engine/compile_text.h"
#include "engine/engine.h"
#include "ingest/declaration_json.h"
#include "ingest/input_error.h"
#include "storage/store.h"

namespace bukong::cli {
namespace {

using engine::CompiledRuleset;
using engine::CompileRulesetText;
using engine::CompileTextResult;
using engine::Outcome;
using engine::OutcomeName;

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

// ---- Options and shared state --------------------------------------------------------------

struct ServeOptions {
  std::string db;
  std::string rules;
  std::string listen = "127.0.0.1:8080";
  std::string token_file;
  std::string tls_cert, tls_key;
  int threads = 2;
  uint64_t max_body_bytes = uint64_t{64} << 20;
  uint32_t max_header_bytes = 16 << 10;
  double idle_timeout = 60;
  double read_timeout = 30;
  int max_connections = 1024;
  size_t max_batch_records = 8192;
  size_t max_pending_batches = 4;
};

// Request latency buckets (seconds), Prometheus style.
constexpr double kLatencyBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                     0.05,   0.1,   0.25,   0.5,   1,    2.5};
constexpr size_t kLatencyBuckets = std::size(kLatencyBounds) + 1;

struct Metrics {
  std::mutex mu;  // guards decisions
  // Decisions by outcome (index: Outcome) and grade name; looked up without allocating.
  std::array<std::map<std::string, uint64_t, std::less<>>, 3> decisions;
  std::array<std::atomic<uint64_t>, 600> responses{};  // by status code
  std::array<std::atomic<uint64_t>, kLatencyBuckets> latency{};
  std::atomic<uint64_t> latency_sum_ns{0};
  std::atomic<uint64_t> latency_count{0};
  std::atomic<uint64_t> rejects{0};  // declarations refused as bad input (400 or a batch line)
  std::atomic<uint64_t> refused_connections{0};
  std::atomic<uint64_t> ruleset_swaps{0};
  std::atomic<uint64_t> ruleset_refusals{0};

  void Response(int status, double seconds) {
    size_t i = 0;
    while (i < std::size(kLatencyBounds) && seconds > kLatencyBounds[i]) ++i;
    responses[static_cast<size_t>(status) < responses.size() ? status : 0].fetch_add(
        1, std::memory_order_relaxed);
    latency[i].fetch_add(1, std::memory_order_relaxed);
    latency_sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
    latency_count.fetch_add(1, std::memory_order_relaxed);
  }
  void Decision(const engine::Decision& d) {
    const std::string_view grade = d.GradeName();
    std::lock_guard lock(mu);
    auto& by_grade = decisions[static_cast<size_t>(d.outcome)];
    auto it = by_grade.find(grade);
    if (it == by_grade.end()) it = by_grade.emplace(std::string(grade), 0).first;
    ++it->second;
  }
};

struct Server {
  ServeOptions options;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<decider::Decider> decider;
  std::optional<Sha256Digest> token_hash;  // SHA-256 of the bearer token
  Metrics metrics;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> in_flight{0};    // requests read and not yet answered
  std::atomic<int64_t> connections{0};
  std::mutex ruleset_mu;  // one compile-and-swap at a time (PUT and SIGHUP)
  // After the audit log failed (a write or fsync error: a full disk, EIO) the decider
  // acknowledges nothing more; every decision request gets 503 naming the failure, /readyz
  // gives it as the reason, and it is logged once, when first seen.
  std::mutex failure_mu;
  std::string audit_failure;                // guarded by failure_mu; empty: none seen
  std::atomic<uint64_t> audit_refused{0};   // decision requests answered 503 for it
};

// Notes a decider error: when it is the audit log's failure (not a bad declaration, a full
// queue or a shutdown), counts the refusal and logs the failure the first time.
void NoteDeciderError(Server& s, const absl::Status& st) {
  if (st.code() != absl::StatusCode::kUnavailable || s.decider->healthy()) return;
  s.audit_refused.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(s.failure_mu);
  if (!s.audit_failure.empty()) return;
  s.audit_failure = std::string(st.message());
  fmt::print(stderr,
             "bukong serve: the audit log failed: {}; no decision is acknowledged from now on "
             "(503, /readyz not ready): fix the disk and restart\n",
             s.audit_failure);
  std::fflush(stderr);
}

std::string AuditFailure(Server& s) {
  std::lock_guard lock(s.failure_mu);
  return s.audit_failure.empty() ? "the audit log cannot be written" : s.audit_failure;
}

// ---- JSON answers ---------------------------------------------------------------------------

// {"error":{"status":400,"message":"...","field":"value"}}; `field` is taken from a message
// of the form "field 'NAME'..." or "missing field NAME ..." when there is one.
std::string ErrorJson(int status, std::string_view message, std::string_view field = {}) {
  std::string field_name(field);
  if (field_name.empty()) {
    if (auto at = message.find("field '"); at != std::string_view::npos) {
      const size_t begin = at + 7, end = message.find('\'', begin);
      if (end != std::string_view::npos) field_name = message.substr(begin, end - begin);
    } else if (message.starts_with("missing field ")) {
      const size_t end = message.find(' ', 14);
      field_name = message.substr(14, end == std::string_view::npos ? end : end - 14);
    }
  }
  std::string out = fmt::format("{{\"error\":{{\"status\":{},\"message\":", status);
  AppendJsonString(out, message);
  if (!field_name.empty()) {
    out += ",\"field\":";
    AppendJsonString(out, field_name);
  }
  out += "}}";
  return out;
}

int HttpStatusOf(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// The DeclarationParser of this thread for the fields `ruleset` reads.
// (The ruleset is kept alive with the parser, so its address cannot be reused meanwhile.)
ingest::DeclarationParser& ParserFor(const std::shared_ptr<const CompiledRuleset>& ruleset) {
  thread_local std::shared_ptr<const CompiledRuleset> parser_for;
  thread_local std::unique_ptr<ingest::DeclarationParser> parser;
  if (parser_for != ruleset || parser == nullptr) {
    ingest::FieldsRead fields{};
    for (int f = 0; f < ir::kFieldCount; ++f) {
      fields[f] = ruleset->Reads(static_cast<ir::Field>(f));
    }
    parser = std::make_unique<ingest::DeclarationParser>(fields);
    parser_for = ruleset;
  }
  return *parser;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\n')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// ---- Sessions --------------------------------------------------------------------------------

// What a handler gives back: a response now, or later through `reply` (any thread).
// `seqs`, when not empty, is sent as the Bukong-Audit-Seq header: the audit sequence number
// of the decision ("17"), or of each decided line of a JSON Lines batch, in order, as
// ranges ("17-40,42").
// `retry_soon` marks a 503 that this process will cure by itself within moments (the
// decider's queue was full): only that one carries `Retry-After: 1`. A 503 that only a
// restart cures (the audit log failed) or that ends with the process (draining) carries
// none, so that a client or proxy does not hammer it every second (docs/service.md).
class Reply {
 public:
  using Fn = std::function<void(int status, std::string body, std::string content_type,
                                std::string seqs, bool retry_soon)>;
  Reply() = default;
  explicit Reply(Fn fn) : fn_(std::move(fn)) {}
  void operator()(int status, std::string body, std::string content_type, std::string seqs,
                  bool retry_soon = false) const {
    fn_(status, std::move(body), std::move(content_type), std::move(seqs), retry_soon);
  }

 private:
  Fn fn_;
};

class Handler {
 public:
  explicit Handler(Server& server) : s_(server) {}

  // Handles one request; calls `reply` exactly once (now or later, from any thread).
  void Handle(const Request& req, Reply reply);

 private:
  bool Authorized(const Request& req) const;
  void DecideOne(std::string_view body, Reply reply);
  void DecideLines(std::string_view body, Reply reply);
  void GetDecision(std::string_view id, Reply reply);
  void PostOutcomes(std::string_view body, Reply reply);
  void GetRuleset(Reply reply);
  void PutRuleset(std::string_view body, Reply reply);
  std::string MetricsText();

  Server& s_;
};

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kNdjson = "application/x-ndjson";

bool Handler::Authorized(const Request& req) const {
  if (!s_.token_hash) return true;
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return false;
  std::string_view value(it->value().data(), it->value().size());
  if (!value.starts_with("Bearer ")) return false;
  // Both sides hashed to 32 bytes: the comparison time does not depend on the token's
  // length or on where it differs (sodium_memcmp is constant-time).
  const Sha256Digest given = Sha256(Trim(value.substr(7)));
  return sodium_memcmp(given.data(), s_.token_hash->data(), given.size()) == 0;
}

void Handler::Handle(const Request& req, Reply reply) {
  std::string_view target(req.target().data(), req.target().size());
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  const http::verb method = req.method();
  auto only = [&](http::verb allowed) {
    if (method == allowed) return true;
    reply(405, ErrorJson(405, fmt::format("{} is not allowed on {}",
                                          std::string(http::to_string(method)), target)),
          std::string(kJson), {});
    return false;
  };
  if (target == "/healthz") {
    if (only(http::verb::get)) reply(200, "{\"status\":\"ok\"}", std::string(kJson), {});
    return;
  }
  if (target == "/readyz") {
    if (!only(http::verb::get)) return;
    if (s_.draining.load()) {
      reply(503, "{\"status\":\"draining\"}", std::string(kJson), {});
    } else if (!s_.decider->healthy()) {
      std::string out = "{\"status\":\"failed\",\"reason\":";
      AppendJsonString(out, AuditFailure(s_));
      out += "}";
      reply(503, std::move(out), std::string(kJson), {});
    } else {
      reply(200, "{\"status\":\"ready\"}", std::string(kJson), {});
    }
    return;
  }
  if (target == "/metrics") {
    if (only(http::verb::get)) reply(200, MetricsText(), "text/plain; version=0.0.4", {});
    return;
  }
  if (!target.starts_with("/v1/")) {
    reply(404, ErrorJson(404, fmt::format("no such path: {}", target)), std::string(kJson), {});
    return;
  }
  if (!Authorized(req)) {
    reply(401, ErrorJson(401, "a valid `Authorization: Bearer TOKEN` header is required"),
          std::string(kJson), {});
    return;
  }
  if (s_.draining.load() && method != http::verb::get) {
    reply(503, ErrorJson(503, "the server is shutting down"), std::string(kJson), {});
    return;
  }
  const std::string_view body = req.body();
  if (target == "/v1/decisions") {
    if (!only(http::verb::post)) return;
    auto ct = req.find(http::field::content_type);
    std::string_view type =
        ct == req.end() ? std::string_view() : std::string_view(ct->value().data(), ct->value().size());
    if (type.starts_with(kNdjson) || type.starts_with("application/jsonl")) {
      DecideLines(body, std::move(reply));
    } else {
      DecideOne(body, std::move(reply));
    }
    return;
  }
  if (target.starts_with("/v1/decisions/")) {
    if (only(http::verb::get)) GetDecision(target.substr(14), std::move(reply));
    return;
  }
  if (target == "/v1/outcomes") {
    if (only(http::verb::post)) PostOutcomes(body, std::move(reply));
    return;
  }
  if (target == "/v1/ruleset") {
    if (method == http::verb::get) {
      GetRuleset(std::move(reply));
    } else if (method == http::verb::put) {
      PutRuleset(body, std::move(reply));
    } else {
      only(http::verb::get);
    }
    return;
  }
  reply(404, ErrorJson(404, fmt::format("no such path: {}", target)), std::string(kJson), {});
}

void Handler::DecideOne(std::string_view body, Reply reply) {
  const std::string_view line = Trim(body);
  if (line.empty()) {
    s_.metrics.rejects++;
    reply(400, ErrorJson(400, "the body is empty: send one declaration as a JSON object", "body"),
          std::string(kJson), {});
    return;
  }
  if (line.find('\n') != std::string_view::npos) {
    s_.metrics.rejects++;
    reply(400,
          ErrorJson(400,
                    "one declaration is one JSON object on one line (send several as "
                    "application/x-ndjson)",
                    "body"),
          std::string(kJson), {});
    return;
  }
  std::shared_ptr<const CompiledRuleset> ruleset = s_.decider->ruleset();
  Declaration declaration;
  if (absl::Status st = ParserFor(ruleset).Parse(line, &declaration); !st.ok()) {
    s_.metrics.rejects++;
    reply(400, ErrorJson(400, Message(st)), std::string(kJson), {});
    return;
  }
  Server& s = s_;
  s_.decider->DecideAsync(declaration, line,
                          [&s, reply = std::move(reply)](absl::StatusOr<decider::Decided> r) {
                            if (!r.ok()) {
                              if (r.status().code() == absl::StatusCode::kInvalidArgument) {
                                s.metrics.rejects++;
                              }
                              NoteDeciderError(s, r.status());
                              const int code = HttpStatusOf(r.status());
                              reply(code, ErrorJson(code, Message(r.status())),
                                    std::string(kJson), {},
                                    r.status().code() == absl::StatusCode::kResourceExhausted);
                              return;
                            }
                            s.metrics.Decision(r->decision);
                            // Send ends the body with its newline.
                            reply(200, std::move(r->json), std::string(kJson),
                                  std::to_string(r->seq));
                          });
}

// One answer line per non-blank body line, in order: the decision, or
// {"error":{"status":400,"line":N,...}} for a line that was not decided (nothing recorded).
void Handler::DecideLines(std::string_view body, Reply reply) {
  struct Batch {
    std::vector<std::string> answers;
    Reply reply;
    bool unavailable = false;
    absl::Status failure;  // the audit log's, when unavailable
    std::string seqs;      // the decided lines' sequence numbers, as ranges
  };
  auto batch = std::make_shared<Batch>();
  batch->reply = std::move(reply);
  std::vector<std::pair<size_t, std::string_view>> good;  // answer index, line
  std::vector<Declaration> declarations;
  std::shared_ptr<const CompiledRuleset> ruleset = s_.decider->ruleset();
  ingest::DeclarationParser& parser = ParserFor(ruleset);
  size_t at = 0, line_number = 0;
  while (at < body.size()) {
    size_t nl = body.find('\n', at);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = body.substr(at, nl - at);
    at = nl + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    Declaration d;
    if (absl::Status st = parser.Parse(line, &d); !st.ok()) {
      s_.metrics.rejects++;
      std::string e = ErrorJson(400, Message(st));
      e.insert(e.size() - 2, fmt::format(",\"line\":{}", line_number));
      batch->answers.push_back(std::move(e));
      continue;
    }
    good.emplace_back(batch->answers.size(), line);
    batch->answers.push_back(fmt::format("{}", line_number));  // the line number, for now
    declarations.push_back(std::move(d));
  }
  auto finish = [](Batch& b) {
    std::string out;
    for (const std::string& a : b.answers) {
      out += a;
      out.push_back('\n');
    }
    if (b.unavailable) {
      // Not one line is answered: a decision of this batch whose record did become durable
      // is in the log, but the client, told nothing, may send it again (decided twice; the
      // latest counts, as with a retried single request).
      b.reply(503,
              ErrorJson(503, fmt::format("{}; nothing more is decided",
                                         b.failure.ok() ? "the audit log cannot be written"
                                                        : std::string(b.failure.message()))),
              std::string(kJson), {});
    } else {
      b.reply(200, std::move(out), std::string(kNdjson), std::move(b.seqs));
    }
  };
  if (good.empty()) {
    finish(*batch);
    return;
  }
  std::vector<std::string_view> views;
  views.reserve(good.size());
  for (const auto& g : good) views.push_back(g.second);
  Server& s = s_;
  s_.decider->DecideBatchAsync(
      declarations, views,
      [&s, batch, good = std::move(good), finish](std::vector<absl::StatusOr<decider::Decided>> rs) {
        uint64_t run_first = 0, run_last = 0;  // the current range of consecutive seqs
        auto close_run = [&] {
          if (run_first == 0) return;
          if (!batch->seqs.empty()) batch->seqs.push_back(',');
          batch->seqs += run_first == run_last ? fmt::format("{}", run_first)
                                               : fmt::format("{}-{}", run_first, run_last);
        };
        for (size_t i = 0; i < rs.size(); ++i) {
          std::string& answer = batch->answers[good[i].first];
          absl::StatusOr<decider::Decided>& r = rs[i];
          if (r.ok()) {
            s.metrics.Decision(r->decision);
            answer = std::move(r->json);
            if (run_first != 0 && r->seq == run_last + 1) {
              run_last = r->seq;
            } else {
              close_run();
              run_first = run_last = r->seq;
            }
          } else {
            const int code = HttpStatusOf(r.status());
            if (code == 400) s.metrics.rejects++;
            if (r.status().code() == absl::StatusCode::kUnavailable) {
              batch->unavailable = true;
              if (batch->failure.ok()) batch->failure = r.status();
            }
            std::string e = ErrorJson(code, Message(r.status()));
            e.insert(e.size() - 2, fmt::format(",\"line\":{}", answer));
            answer = std::move(e);
          }
        }
        close_run();
        if (batch->unavailable) NoteDeciderError(s, batch->failure);
        finish(*batch);
      });
}

void Handler::GetDecision(std::string_view raw_id, Reply reply) {
  // Every audited decision of the id, oldest first, from the store's by_id index (one seek
  // and a point read per decision; docs/service.md).
  const std::string id = PercentDecode(raw_id);
  auto seqs = s_.store->AuditSequencesOf(id);
  if (!seqs.ok()) {
    reply(500, ErrorJson(500, Message(seqs.status())), std::string(kJson), {});
    return;
  }
  if (seqs->empty()) {
    reply(404, ErrorJson(404, fmt::format("declaration {} was never decided",
                                          ingest::QuoteForMessage(id))),
          std::string(kJson), {});
    return;
  }
  std::string out = "{\"id\":";
  AppendJsonString(out, id);
  out += fmt::format(",\"latest_seq\":{},\"decisions\":[", seqs->back());
  for (size_t i = 0; i < seqs->size(); ++i) {
    auto entry = s_.store->GetAudit((*seqs)[i]);
    if (!entry.ok() || !entry->has_value()) {
      reply(500, ErrorJson(500, fmt::format("audit record {} of the declaration cannot be read",
                                            (*seqs)[i])),
            std::string(kJson), {});
      return;
    }
    out += fmt::format("{}{{\"seq\":{},\"ruleset_sha256\":", i == 0 ? "" : ",", (*entry)->seq);
    AppendJsonString(out, (*entry)->record.ruleset_sha256);
    out += ",\"key_id\":";
    AppendJsonString(out, (*entry)->record.key_id);
    out += ",\"decision\":";
    out += (*entry)->record.decision;  // a JSON object, as recorded
    out += "}";
  }
  out += "]}\n";
  reply(200, std::move(out), std::string(kJson), {});
}

void Handler::PostOutcomes(std::string_view body, Reply reply) {
  // JSON Lines of {"id": "...", "result": "hit"|"clean"} as `bukong outcome` reads them;
  // all accepted lines are recorded in one synced write.
  simdjson::dom::parser parser;
  std::vector<storage::Store::OutcomeInput> inputs;
  std::vector<size_t> input_line;
  std::vector<std::string> answers;
  std::vector<size_t> answer_of_input;
  size_t at = 0, line_number = 0;
  auto error_line = [&](size_t n, int status, std::string_view message) {
    std::string e = ErrorJson(status, message);
    e.insert(e.size() - 2, fmt::format(",\"line\":{}", n));
    answers.push_back(std::move(e));
  };
  while (at < body.size()) {
    size_t nl = body.find('\n', at);
    if (nl == std::string_view::npos) nl = body.size();
    std::string_view line = Trim(body.substr(at, nl - at));
    at = nl + 1;
    ++line_number;
    if (line.empty()) continue;
    simdjson::dom::element doc;
    simdjson::dom::object object;
    if (parser.parse(line.data(), line.size()).get(doc) || doc.get_object().get(object)) {
      error_line(line_number, 400, "not a JSON object");
      continue;
    }
    storage::Store::OutcomeInput input;
    std::string problem;
    bool has_id = false, has_result = false;
    for (auto [key, value] : object) {
      std::string_view text;
      if (key != "id" && key != "result") {
        problem = fmt::format("unknown key {} (an outcome has exactly `id` and `result`)",
                              ingest::QuoteForMessage(key));
        break;
      }
      bool& seen = key == "id" ? has_id : has_result;
      if (seen) {
        problem = fmt::format("key '{}' is repeated", key);
        break;
      }
      seen = true;
      if (value.get_string().get(text)) {
        problem = fmt::format("field '{}': expected a string", key);
        break;
      }
      if (key == "id") {
        input.declaration_id.assign(text);
      } else if (text == "hit" || text == "clean") {
        input.result = text == "hit" ? storage::OutcomeResult::kHit : storage::OutcomeResult::kClean;
      } else {
        problem = "field 'result': expected \"hit\" or \"clean\"";
        break;
      }
    }
    if (problem.empty() && (!has_id || input.declaration_id.empty())) problem = "field 'id' is missing";
    if (problem.empty() && !has_result) problem = "field 'result' is missing";
    if (!problem.empty()) {
      error_line(line_number, 400, problem);
      continue;
    }
    answer_of_input.push_back(answers.size());
    answers.emplace_back();
    input_line.push_back(line_number);
    inputs.push_back(std::move(input));
  }
  if (!inputs.empty()) {
    auto results = s_.store->RecordOutcomes(inputs);
    if (!results.ok()) {
      reply(503, ErrorJson(503, Message(results.status())), std::string(kJson), {});
      return;
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      const absl::Status& st = (*results)[i];
      std::string& answer = answers[answer_of_input[i]];
      if (st.ok()) {
        answer = "{\"id\":";
        AppendJsonString(answer, inputs[i].declaration_id);
        answer += ",\"recorded\":true}";
      } else {
        const int code = st.code() == absl::StatusCode::kAlreadyExists        ? 409
                         : st.code() == absl::StatusCode::kFailedPrecondition ? 404
                                                                              : 500;
        std::string e = ErrorJson(code, Message(st));
        e.insert(e.size() - 2, fmt::format(",\"line\":{}", input_line[i]));
        answer = std::move(e);
      }
    }
  }
  std::string out;
  for (const std::string& a : answers) out += a + "\n";
  reply(200, std::move(out), std::string(kNdjson), {});
}

std::string RulesetJson(const CompiledRuleset& r) {
  std::string out = "{\"id\":";
  AppendJsonString(out, r.Id());
  out += ",\"name\":";
  AppendJsonString(out, r.ir().name);
  out += fmt::format(",\"version\":{},\"sha256\":\"{}\"", r.ir().version, r.Sha256());
  return out;
}

void Handler::GetRuleset(Reply reply) {
  std::shared_ptr<const CompiledRuleset> r = s_.decider->ruleset();
  std::string out = RulesetJson(*r);
  auto stored = s_.store->GetRuleset(r->Sha256());
  if (stored.ok() && stored->has_value()) {
    out += ",\"text\":";
    AppendJsonString(out, (*stored)->text);
  }
  out += "}\n";
  reply(200, std::move(out), std::string(kJson), {});
}

// Compiles `text` with the current version of every list it declares (SPEC §7.1, as
// `decide` binds them). A list the database lacks leaves `ruleset` unset and `status` naming
// the list and the `lists import` command.
CompileTextResult CompileWithCurrentLists(const storage::Store& store, std::string_view text,
                                          std::string_view name) {
  CompileTextResult r = CompileRulesetText(text, name, engine::ListsAtCompile::kStandIns);
  if (!r.ok() || r.ruleset->ir().lists.empty()) return r;
  auto lists = BindCurrentLists(store, r.ruleset->ir());
  if (!lists.ok()) {
    r.status = lists.status();
    r.ruleset = nullptr;
    return r;
  }
  auto bound = engine::CompileRuleset(r.ruleset->ir(), *std::move(lists));
  if (!bound.ok()) {
    r.status = bound.status();
    r.ruleset = nullptr;
    return r;
  }
  r.ruleset = *std::move(bound);
  return r;
}

// Compiles `text`; swaps it in when it has no errors. Returns the HTTP status and body.
std::pair<int, std::string> CompileAndSwap(Server& s, std::string_view text,
                                           std::string_view name) {
  std::lock_guard lock(s.ruleset_mu);
  CompileTextResult result = CompileWithCurrentLists(*s.store, text, name);
  std::string diagnostics = "[";
  for (const dsl::Diagnostic& d : result.diagnostics) {
    if (diagnostics.size() > 1) diagnostics += ",";
    diagnostics += fmt::format(
        "{{\"severity\":\"{}\",\"line\":{},\"column\":{},\"message\":",
        d.severity == dsl::Diagnostic::Severity::kError ? "error" : "warning", d.line, d.column);
    AppendJsonString(diagnostics, d.message);
    diagnostics += "}";
  }
  diagnostics += "]";
  if (!result.ok()) {
    s.metrics.ruleset_refusals++;
    std::string message = result.status.ok()
                              ? "the rule text has errors; the live ruleset stays"
                              : std::string(Message(result.status));
    std::string out = ErrorJson(422, message);
    out.insert(out.size() - 1, ",\"diagnostics\":" + diagnostics);
    return {422, out + "\n"};
  }
  if (absl::Status st = s.decider->SetRuleset(text, result.ruleset); !st.ok()) {
    return {503, ErrorJson(503, Message(st)) + "\n"};
  }
  s.metrics.ruleset_swaps++;
  std::string out = RulesetJson(*result.ruleset);
  out += ",\"diagnostics\":" + diagnostics + "}\n";
  return {200, out};
}

void Handler::PutRuleset(std::string_view body, Reply reply) {
  auto [status, out] = CompileAndSwap(s_, body, "PUT /v1/ruleset");
  reply(status, std::move(out), std::string(kJson), {});
}

std::string PrometheusLabel(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void AppendHistogram(std::string& out, std::string_view name, std::string_view help,
                     const decider::Histogram& h) {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, h.bounds[i], h.counts[i]);
  }
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, h.count, name,
                     h.sum, name, h.count);
}

std::string Handler::MetricsText() {
  std::string out;
  const decider::DeciderMetrics dm = s_.decider->metrics();
  decider::Histogram latency;
  {
    std::lock_guard lock(s_.metrics.mu);
    out += "# HELP bukong_decisions_total Decisions acknowledged, by outcome and grade.\n"
           "# TYPE bukong_decisions_total counter\n";
    for (size_t o = 0; o < s_.metrics.decisions.size(); ++o) {
      for (const auto& [grade, n] : s_.metrics.decisions[o]) {
        out += fmt::format("bukong_decisions_total{{outcome=\"{}\",grade=\"{}\"}} {}\n",
                           OutcomeName(static_cast<Outcome>(o)), PrometheusLabel(grade), n);
      }
    }
  }
  out += "# HELP bukong_http_responses_total HTTP responses, by status code.\n"
         "# TYPE bukong_http_responses_total counter\n";
  for (size_t code = 0; code < s_.metrics.responses.size(); ++code) {
    if (const uint64_t n = s_.metrics.responses[code].load(); n > 0) {
      out += fmt::format("bukong_http_responses_total{{code=\"{}\"}} {}\n", code, n);
    }
  }
  latency.bounds.assign(std::begin(kLatencyBounds), std::end(kLatencyBounds));
  uint64_t running = 0;
  for (const auto& c : s_.metrics.latency) latency.counts.push_back(running += c.load());
  latency.sum = static_cast<double>(s_.metrics.latency_sum_ns.load()) / 1e9;
  latency.count = running;
  out += fmt::format(
      "# HELP bukong_rejects_total Declarations refused as bad input (nothing recorded).\n"
      "# TYPE bukong_rejects_total counter\nbukong_rejects_total {}\n",
      s_.metrics.rejects.load());
  AppendHistogram(out, "bukong_http_request_duration_seconds",
                  "Time from a request read to its response written.", latency);
  AppendHistogram(out, "bukong_audit_sync_seconds", "Latency of each audit log fsync.",
                  dm.sync_seconds);
  AppendHistogram(out, "bukong_group_commit_batch_records",
                  "Records per audit write (one fsync covers one or more).", dm.batch_records);
  const auto live = s_.decider->ruleset();
  out += fmt::format(
      "# HELP bukong_audit_records_total Audit records acknowledged since start.\n"
      "# TYPE bukong_audit_records_total counter\nbukong_audit_records_total {}\n"
      "# HELP bukong_queue_records Decisions waiting for the audit log.\n"
      "# TYPE bukong_queue_records gauge\nbukong_queue_records {}\n"
      "# HELP bukong_queue_batches Batches queued, being written or being synced.\n"
      "# TYPE bukong_queue_batches gauge\nbukong_queue_batches {}\n"
      "# HELP bukong_queue_full_total Calls refused because the queue was full (503).\n"
      "# TYPE bukong_queue_full_total counter\nbukong_queue_full_total {}\n"
      "# HELP bukong_connections Open client connections.\n"
      "# TYPE bukong_connections gauge\nbukong_connections {}\n"
      "# HELP bukong_refused_connections_total Connections closed at --max-connections.\n"
      "# TYPE bukong_refused_connections_total counter\nbukong_refused_connections_total {}\n"
      "# HELP bukong_ruleset_swaps_total Rulesets swapped in (PUT /v1/ruleset, SIGHUP).\n"
      "# TYPE bukong_ruleset_swaps_total counter\nbukong_ruleset_swaps_total {}\n"
      "# HELP bukong_ruleset_refusals_total Rule texts refused for errors.\n"
      "# TYPE bukong_ruleset_refusals_total counter\nbukong_ruleset_refusals_total {}\n"
      "# HELP bukong_ready 1 when decisions are taken (audit log healthy, not draining).\n"
      "# TYPE bukong_ready gauge\nbukong_ready {}\n"
      "# HELP bukong_audit_failed 1 after a failed audit write or fsync (restart needed).\n"
      "# TYPE bukong_audit_failed gauge\nbukong_audit_failed {}\n"
      "# HELP bukong_audit_refused_total Decision requests answered 503 because the audit log "
      "failed.\n"
      "# TYPE bukong_audit_refused_total counter\nbukong_audit_refused_total {}\n"
      "# HELP bukong_ruleset_info The live ruleset.\n"
      "# TYPE bukong_ruleset_info gauge\nbukong_ruleset_info{{id=\"{}\",sha256=\"{}\"}} 1\n",
      dm.recorded, dm.queued_records, dm.pending_batches, dm.refused_full,
      s_.connections.load(), s_.metrics.refused_connections.load(),
      s_.metrics.ruleset_swaps.load(), s_.metrics.ruleset_refusals.load(),
      dm.healthy && !s_.draining.load() ? 1 : 0, dm.healthy ? 0 : 1, s_.audit_refused.load(),
      PrometheusLabel(live->Id()), live->Sha256());
  return out;
}

// One connection. Stream is beast::tcp_stream or beast::ssl_stream<beast::tcp_stream>.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(Server& server, Args&&... args)
      : server_(server), handler_(server), stream_(std::forward<Args>(args)...) {
    server_.connections++;
  }
  ~Session() { server_.connections--; }

  void Start() {
    if constexpr (kTls) {
      Tcp().expires_after(Seconds(server_.options.read_timeout));
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->ReadHeader();
                              });
    } else {
      net::dispatch(stream_.get_executor(),
                    [self = this->shared_from_this()] { self->ReadHeader(); });
    }
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  static std::chrono::steady_clock::duration Seconds(double s) {
    return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(s));
  }
  beast::tcp_stream& Tcp() {
    if constexpr (kTls) {
      return beast::get_lowest_layer(stream_);
    } else {
      return stream_;
    }
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(server_.options.max_header_bytes);
    Tcp().expires_after(Seconds(server_.options.idle_timeout));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              self->OnHeader(ec);
                            });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    Tcp().expires_after(Seconds(server_.options.read_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) {
                       self->OnRead(ec);
                     });
  }

  void ReadFailed(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof) {
      return Close();
    }
    // A request Beast could not read: answer once and close the connection.
    int status = 400;
    std::string message = fmt::format("bad request: {}", ec.message());
    if (ec == http::error::body_limit) {
      status = 413;
      message = fmt::format("the body is larger than the limit of {} bytes (--max-body-bytes)",
                            server_.options.max_body_bytes);
    } else if (ec == http::error::header_limit) {
      status = 431;
      message = fmt::format("the header is larger than the limit of {} bytes",
                            server_.options.max_header_bytes);
    }
    keep_alive_ = false;
    version_ = 11;
    started_ = std::chrono::steady_clock::now();
    server_.in_flight++;
    Send(status, ErrorJson(status, message), std::string(kJson));
  }

  void OnRead(beast::error_code ec) {
    if (ec) return ReadFailed(ec);
    request_ = parser_->release();
    keep_alive_ = request_.keep_alive();
    version_ = request_.version();
    started_ = std::chrono::steady_clock::now();
    server_.in_flight++;
    Tcp().expires_never();  // the answer may wait for an fsync; the write sets its own
    auto self = this->shared_from_this();
    handler_.Handle(request_, Reply([self](int status, std::string body, std::string type,
                                           std::string seqs, bool retry_soon) {
      net::post(self->stream_.get_executor(), [self, status, body = std::move(body),
                                               type = std::move(type), seqs = std::move(seqs),
                                               retry_soon]() mutable {
        self->Send(status, std::move(body), std::move(type), std::move(seqs), retry_soon);
      });
    }));
  }

  void Send(int status, std::string body, std::string type, std::string seqs = {},
            bool retry_soon = false) {
    response_.emplace(static_cast<http::status>(status), version_);
    response_->set(http::field::server, "bukong");
    response_->set(http::field::content_type, type);
    if (status == 401) response_->set(http::field::www_authenticate, "Bearer");
    if (status == 503 && retry_soon) response_->set(http::field::retry_after, "1");
    if (!seqs.empty()) response_->set("Bukong-Audit-Seq", seqs);
    if (server_.draining.load()) keep_alive_ = false;
    response_->keep_alive(keep_alive_);
    if (!body.empty() && body.back() != '\n') body.push_back('\n');  // every body ends a line
    response_->body() = std::move(body);
    response_->prepare_payload();
    server_.metrics.Response(status, std::chrono::duration<double>(
                                         std::chrono::steady_clock::now() - started_)
                                         .count());
    Tcp().expires_after(Seconds(server_.options.read_timeout));
    http::async_write(stream_, *response_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        self->server_.in_flight--;
                        if (ec) return self->Close();
                        if (!self->keep_alive_) return self->Close();
                        self->ReadHeader();
                      });
  }

  void Close() {
    beast::error_code ignored;
    if constexpr (kTls) {
      Tcp().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::error_code ec;
        self->Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
      });
    } else {
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  Server& server_;
  Handler handler_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  std::optional<Response> response_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::chrono::steady_clock::time_point started_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, Server& server, tcp::endpoint endpoint, ssl::context* tls)
      : ioc_(ioc), server_(server), acceptor_(net::make_strand(ioc)), tls_(tls) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  void Start() { Accept(); }
  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
    });
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](
                                                       beast::error_code ec, tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
      } else if (self->server_.draining.load()) {
        return;
      } else if (self->server_.connections.load() >= self->server_.options.max_connections) {
        self->server_.metrics.refused_connections++;
        beast::error_code ignored;
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        if (self->tls_ != nullptr) {
          std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
              self->server_, std::move(socket), *self->tls_)
              ->Start();
        } else {
          std::make_shared<Session<beast::tcp_stream>>(self->server_, std::move(socket))->Start();
        }
      }
      self->Accept();
    });
  }

  net::io_context& ioc_;
  Server& server_;
  tcp::acceptor acceptor_;
  ssl::context* tls_;
};

// ---- Start-up checks ---------------------------------------------------------------------------

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  if (in) buffer << in.rdbuf();
  if (!in || in.bad()) return absl::NotFoundError(fmt::format("{}: cannot read it", path));
  return std::move(buffer).str();
}

// The token in `path`, which must be a regular file readable by its owner only.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(fmt::format("--token-file {}: cannot read it", path));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::PermissionDeniedError(fmt::format(
        "--token-file {}: mode {:o} lets other users read the token; chmod 600 it", path,
        st.st_mode & 0777));
  }
  auto text = ReadText(path);
  if (!text.ok()) return text.status();
  std::string token(Trim(*text));
  if (token.size() < 16) {
    return absl::InvalidArgumentError(
        fmt::format("--token-file {}: the token must be at least 16 characters", path));
  }
  return token;
}

absl::StatusOr<tcp::endpoint> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(fmt::format("--listen {}: expected HOST:PORT", listen));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  unsigned long port = 0;
  try {
    size_t used = 0;
    port = std::stoul(listen.substr(colon + 1), &used);
    if (used != listen.size() - colon - 1 || port > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(fmt::format("--listen {}: bad port", listen));
  }
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        fmt::format("--listen {}: '{}' is not an IP address", listen, host));
  }
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

class ServeCommand : public Command {
 public:
  int Order() const override { return 45; }

  CLI::App* Setup(CLI::App& app) override {
    CLI::App* sub = app.add_subcommand(
        "serve", "Serve audited decisions over HTTP/1.1 (see docs/service.md)");
    ServeOptions& o = options_;
    sub->add_option("--db", o.db, "Database folder")->required();
    sub->add_option("--rules", o.rules, "Rule file; SIGHUP reloads it")->required();
    sub->add_option("--listen", o.listen,
                    "HOST:PORT to listen on (port 0: any free port, printed at start)")
        ->capture_default_str();
    sub->add_option("--token-file", o.token_file,
                    "File (mode 0600) holding the bearer token every /v1 request must carry; "
                    "required unless --listen is a loopback address");
    sub->add_option("--tls-cert", o.tls_cert, "PEM certificate chain: serve HTTPS");
    sub->add_option("--tls-key", o.tls_key, "PEM private key of --tls-cert");
    sub->add_option("--threads", o.threads, "I/O threads")->capture_default_str()->check(
        CLI::Range(1, 256));
    sub->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body (413 beyond)")
        ->capture_default_str();
    sub->add_option("--max-header-bytes", o.max_header_bytes, "Largest request header (431)")
        ->capture_default_str();
    sub->add_option("--idle-timeout", o.idle_timeout,
                    "Seconds a connection may wait between requests")
        ->capture_default_str();
    sub->add_option("--read-timeout", o.read_timeout,
                    "Seconds to read one request once its header began (and to write a reply)")
        ->capture_default_str();
    sub->add_option("--max-connections", o.max_connections, "Open connections at most")
        ->capture_default_str();
    sub->add_option("--batch-records", o.max_batch_records,
                    "Audit records per write and fsync at most")
        ->capture_default_str();
    sub->add_option("--queue-batches", o.max_pending_batches,
                    "Batches queued for the audit log before requests get 503")
        ->capture_default_str();
    sub->footer(
        "Exit status: 0 after SIGTERM/SIGINT (everything answered and synced), 1 start-up\n"
        "or audit log failure, 2 usage (also: a non-loopback --listen without --token-file).");
    return sub;
  }

  int Run() override;

 private:
  ServeOptions options_;
};

int ServeCommand::Run() {
  Server server;
  server.options = options_;
  const ServeOptions& o = server.options;
  auto endpoint = ParseListen(o.listen);
  if (!endpoint.ok()) {
    fmt::print(stderr, "bukong serve: {}\n", Message(endpoint.status()));
    return kExitUsage;
  }
  if (o.token_file.empty() && !endpoint->address().is_loopback()) {
    fmt::print(stderr,
               "bukong serve: --listen {} is reachable from other machines: give --token-file "
               "(and --tls-cert/--tls-key), or listen on 127.0.0.1\n",
               o.listen);
    return kExitUsage;
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    fmt::print(stderr, "bukong serve: --tls-cert and --tls-key go together\n");
    return kExitUsage;
  }
  if (sodium_init() < 0) {
    fmt::print(stderr, "bukong serve: libsodium cannot start\n");
    return kExitFailure;
  }
  if (!o.token_file.empty()) {
    auto token = ReadTokenFile(o.token_file);
    if (!token.ok()) {
      fmt::print(stderr, "bukong serve: {}\n", Message(token.status()));
      return kExitFailure;
    }
    server.token_hash = Sha256(*token);
    sodium_memzero(token->data(), token->size());
  }
  std::optional<ssl::context> tls;
  if (!o.tls_cert.empty()) {
    tls.emplace(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    tls->use_certificate_chain_file(o.tls_cert, ec);
    if (!ec) tls->use_private_key_file(o.tls_key, ssl::context::pem, ec);
    if (ec) {
      fmt::print(stderr, "bukong serve: TLS certificate or key: {}\n", ec.message());
      return kExitFailure;
    }
  }
  auto text = ReadText(o.rules);
  if (!text.ok()) {
    fmt::print(stderr, "{}: error: cannot read the rule file\n", o.rules);
    return kExitFailure;
  }
  auto store = storage::Store::Open(o.db);
  if (!store.ok()) {
    fmt::print(stderr, "bukong serve: {}: {}\n", o.db, Message(store.status()));
    return kExitFailure;
  }
  server.store = *std::move(store);
  CompileTextResult compiled = CompileWithCurrentLists(*server.store, *text, o.rules);
  for (const dsl::Diagnostic& d : compiled.diagnostics) {
    std::fputs(dsl::FormatDiagnostic(o.rules, *text, d).c_str(), stderr);
  }
  if (!compiled.ok()) {
    if (!compiled.status.ok()) {
      fmt::print(stderr, "{}: {}; not serving\n", o.rules, Message(compiled.status));
    } else {
      fmt::print(stderr, "{}: the rule file has errors; not serving\n", o.rules);
    }
    return kExitFailure;
  }
  decider::DeciderOptions decider_options;
  decider_options.max_batch_records = o.max_batch_records;
  decider_options.max_pending_batches = o.max_pending_batches;
  decider_options.wait_when_full = false;  // an I/O thread never waits: 503 instead
  auto decider =
      decider::Decider::Create(*server.store, *text, compiled.ruleset, decider_options);
  if (!decider.ok()) {
    fmt::print(stderr, "bukong serve: storing the ruleset: {}\n", Message(decider.status()));
    return kExitFailure;
  }
  server.decider = *std::move(decider);

  net::io_context ioc(o.threads);
  std::shared_ptr<Listener> listener;
  try {
    listener = std::make_shared<Listener>(ioc, server, *endpoint, tls ? &*tls : nullptr);
  } catch (const std::exception& e) {
    fmt::print(stderr, "bukong serve: cannot listen on {}: {}\n", o.listen, e.what());
    return kExitFailure;
  }
  listener->Start();
  const tcp::endpoint bound = listener->local_endpoint();
  fmt::print(stderr, "bukong serve: listening on {}://{}:{} (ruleset {}, sha256 {}, key id {})\n",
             tls ? "https" : "http", bound.address().to_string(), bound.port(),
             compiled.ruleset->Id(), compiled.ruleset->Sha256(), server.store->key_id());
  std::fflush(stderr);

  // Signals: TERM/INT drain and stop; HUP reloads the rule file.
  net::signal_set signals(ioc, SIGTERM, SIGINT, SIGHUP);
  net::steady_timer drain_timer(ioc);
  std::function<void()> wait_drained = [&] {
    if (server.in_flight.load() == 0) {
      ioc.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(5));
    drain_timer.async_wait([&](beast::error_code) { wait_drained(); });
  };
  std::function<void(beast::error_code, int)> on_signal = [&](beast::error_code ec, int sig) {
    if (ec) return;
    if (sig == SIGHUP) {
      auto reloaded = ReadText(o.rules);
      if (!reloaded.ok()) {
        fmt::print(stderr, "bukong serve: SIGHUP: {}: cannot read the rule file; the live "
                           "ruleset stays\n", o.rules);
      } else {
        auto [status, body] = CompileAndSwap(server, *reloaded, o.rules);
        if (status == 200) {
          fmt::print(stderr, "bukong serve: SIGHUP: {} is live ({})\n",
                     server.decider->ruleset()->Id(), server.decider->ruleset()->Sha256());
        } else {
          fmt::print(stderr, "bukong serve: SIGHUP: {} refused, the live ruleset stays: {}",
                     o.rules, body);
        }
      }
      std::fflush(stderr);
      signals.async_wait(on_signal);
      return;
    }
    fmt::print(stderr, "bukong serve: signal {}: no new connections; answering what is in "
                       "flight\n", sig);
    std::fflush(stderr);
    server.draining = true;
    listener->Stop();
    wait_drained();
  };
  signals.async_wait(on_signal);

  std::vector<std::thread> threads;
  for (int i = 1; i < o.threads; ++i) threads.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : threads) t.join();

  const absl::Status shutdown = server.decider->Shutdown();
  const decider::DeciderMetrics m = server.decider->metrics();
  if (!shutdown.ok()) {
    fmt::print(stderr, "bukong serve: the audit log failed: {}\n", Message(shutdown));
    return kExitFailure;
  }
  fmt::print(stderr, "bukong serve: stopped; {} decisions recorded since start, head {}\n",
             m.recorded, server.store->Head().seq);
  return kExitOk;
}

BUKONG_REGISTER_COMMAND(ServeCommand);

}  // namespace
}  // namespace bukong::cli

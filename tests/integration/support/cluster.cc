#include "tests/integration/support/cluster.h"

#include <signal.h>

#include <atomic>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace vexbench::testing {
namespace {

// A unique suffix for log files and spec files of this test process.
std::string NextSerial() {
  static std::atomic<int> serial{0};
  return std::to_string(serial++);
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The whitespace-separated words of each line of `text` after the first (a table header).
std::vector<std::vector<std::string>> TableRows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> row;
    for (std::string w; words >> w;) row.push_back(w);
    if (!row.empty()) rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

ControllerProcess::ControllerProcess(ControllerProcessOptions options)
    : options_(std::move(options)), log_dir_(MakeTempDir("controller")) {
  if (options_.data_dir.empty()) options_.data_dir = log_dir_ + "/data";
  Start();
}

ControllerProcess::~ControllerProcess() = default;

void ControllerProcess::Start() {
  const std::string listen = address_.empty() ? options_.listen : address_;
  std::vector<std::string> argv = options_.launcher;
  argv.insert(argv.end(),
              {VEXBENCH_BINARY, "controller", "--listen", listen, "--data", options_.data_dir});
  argv.insert(argv.end(), options_.flags.begin(), options_.flags.end());
  process_ =
      std::make_unique<Subprocess>(argv, log_dir_ + "/controller-" + std::to_string(starts_++));
  const std::string marker = "listening on ";
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    const std::string out = process_->Stdout();
    const size_t at = out.find(marker);
    if (at != std::string::npos && out.find(' ', at + marker.size()) != std::string::npos) {
      const size_t begin = at + marker.size();
      address_ = out.substr(begin, out.find(' ', begin) - begin);
      return;
    }
    const int code = process_->Wait(std::chrono::milliseconds(20));
    if (code != -1 || std::chrono::steady_clock::now() > until) {
      throw std::runtime_error("vexbench controller --listen " + listen +
                               (code != -1 ? " exited " + std::to_string(code)
                                           : std::string(" printed no address in 10 s")) +
                               ": " + process_->Stderr());
    }
  }
}

void ControllerProcess::Kill() {
  if (process_ == nullptr) return;
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

void ControllerProcess::Restart() {
  Kill();
  Start();
}

std::string ControllerProcess::Log() const {
  return process_ ? process_->Stdout() + process_->Stderr() : "";
}

AgentProcess::AgentProcess(const std::string& controller, const std::string& name,
                           std::vector<std::string> flags, Launcher launcher)
    : name_(name) {
  std::vector<std::string> argv = std::move(launcher);
  argv.insert(argv.end(), {VEXBENCH_BINARY, "agent", "--controller", controller, "--name", name,
                           "--threads", "1"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  process_ = std::make_unique<Subprocess>(argv, MakeTempDir("agent-" + name) + "/agent");
}

AgentProcess::~AgentProcess() = default;

void AgentProcess::Kill() {
  process_->Signal(SIGKILL);
  process_->Wait(std::chrono::seconds(10));
}

int AgentProcess::ExitCode() { return process_->Wait(std::chrono::milliseconds(0)); }

std::string AgentProcess::Log() const { return process_->Stdout() + process_->Stderr(); }

ControllerClient::ControllerClient(std::string address, std::vector<std::string> flags,
                                   Launcher launcher)
    : address_(std::move(address)),
      flags_(std::move(flags)),
      launcher_(std::move(launcher)),
      log_dir_(MakeTempDir("cli")) {}

RunResult ControllerClient::Run(const std::vector<std::string>& args,
                                std::chrono::milliseconds timeout) const {
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Subprocess> p = Start(args);
  RunResult r;
  r.exit_code = p->Wait(timeout);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.out = p->Stdout();
  r.err = p->Stderr();
  return r;  // ~Subprocess kills it if it still runs
}

std::unique_ptr<Subprocess> ControllerClient::Start(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = launcher_;
  argv.push_back(VEXBENCH_BINARY);
  argv = Concat(Concat(std::move(argv), args), {"--controller", address_});
  argv = Concat(std::move(argv), flags_);
  const std::string name = args.empty() ? "cli" : args[0];
  return std::make_unique<Subprocess>(argv, log_dir_ + "/" + name + "-" + NextSerial());
}

std::string ControllerClient::WriteSpec(const std::string& spec) {
  static const std::string dir = MakeTempDir("specs");
  const std::string path = dir + "/job-" + NextSerial() + ".yaml";
  WriteFile(path, spec);
  return path;
}

RunResult ControllerClient::Submit(const std::string& spec, const std::vector<std::string>& extra,
                                   std::chrono::milliseconds timeout) const {
  return Run(Concat({"submit", WriteSpec(spec), "--quiet"}, extra), timeout);
}

std::string ControllerClient::JobId(const std::string& submit_stdout) {
  std::istringstream lines(submit_stdout);
  std::string last;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  return last;
}

nlohmann::json ControllerClient::Show(const std::string& job_id) const {
  const RunResult r = Run({"show", job_id, "--json"}, std::chrono::seconds(30));
  if (r.exit_code != 0) return nullptr;
  return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

bool ControllerClient::WaitForJobState(const std::string& job_id, const std::string& state,
                                       std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const nlohmann::json report = Show(job_id);
    if (report.is_object() && report["job"].value("state", "") == state) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::map<std::string, std::string> ControllerClient::Agents() const {
  std::map<std::string, std::string> agents;
  const RunResult r = Run({"agents"}, std::chrono::seconds(30));
  if (r.exit_code != 0) return agents;
  // NAME HOST LABELS STATE LAST-SEEN(2 words or "-") JOB OFFSET; labels are "-" or k=v,...
  for (const auto& row : TableRows(r.out)) {
    if (row.size() >= 4) agents[row[0]] = row[3];
  }
  return agents;
}

bool ControllerClient::WaitForAgents(const std::vector<std::string>& names,
                                     const std::string& state,
                                     std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    const auto agents = Agents();
    bool all = true;
    for (const std::string& name : names) {
      auto it = agents.find(name);
      all = all && it != agents.end() && it->second == state;
    }
    if (all) return true;
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::map<std::string, ControllerClient::JobRow> ControllerClient::Jobs() const {
  std::map<std::string, JobRow> jobs;
  const RunResult r = Run({"jobs"}, std::chrono::seconds(30));
  if (r.exit_code != 0) return jobs;
  // ID NAME STATE EXIT AGENTS DURATION CREATED; names in these tests have no spaces.
  for (const auto& row : TableRows(r.out)) {
    if (row.size() >= 4) jobs[row[0]] = {row[2], row[3]};
  }
  return jobs;
}

}  // namespace vexbench::testing

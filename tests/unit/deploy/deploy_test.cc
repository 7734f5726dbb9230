// deploy/: every YAML file and systemd unit parses, every vexbench command line they run uses
// a subcommand and flags the built binary has, the pieces of each deployment point at each other
// (agents dial the controller's address and port, the data directory is on the volume), and the
// Containerfile installs the Debian packages of every library the binary links. No container
// engine runs here: these files are checked, not run.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/support/subprocess.h"

namespace vexbench::testing {
namespace {

namespace fs = std::filesystem;
const fs::path kDeploy = fs::path(VEXBENCH_SOURCE_DIR) / "deploy";

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The stdout of a shell command (for objdump and dpkg).
std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  pclose(pipe);
  return out;
}

std::vector<fs::path> FilesEndingWith(const std::vector<std::string>& suffixes) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(kDeploy)) {
    const std::string name = entry.path().filename().string();
    for (const std::string& suffix : suffixes) {
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(entry.path());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A systemd unit: section -> key -> values (a key may repeat), continuation lines joined.
using Unit = std::map<std::string, std::multimap<std::string, std::string>>;

Unit ParseUnit(const fs::path& path) {
  Unit unit;
  std::istringstream in(Slurp(path));
  std::string line, section, pending;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!pending.empty()) line = pending + " " + line;
    pending.clear();
    if (!line.empty() && line.back() == '\\') {
      pending = line.substr(0, line.size() - 1);
      continue;
    }
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#' || line[first] == ';') continue;
    if (line[first] == '[') {
      INFO(path << ":" << number);
      REQUIRE(line.back() == ']');
      section = line.substr(first + 1, line.size() - first - 2);
      continue;
    }
    INFO(path << ":" << number << ": " << line);
    REQUIRE(!section.empty());
    const size_t eq = line.find('=');
    REQUIRE(eq != std::string::npos);
    unit[section].emplace(line.substr(first, eq - first), line.substr(eq + 1));
  }
  REQUIRE(pending.empty());
  return unit;
}

std::string One(const Unit& unit, const std::string& section, const std::string& key) {
  auto s = unit.find(section);
  if (s == unit.end()) return "<missing>";
  auto range = s->second.equal_range(key);
  if (std::distance(range.first, range.second) != 1) return "<missing>";
  return range.first->second;
}

// KEY=VALUE lines of an env file.
std::map<std::string, std::string> ParseEnvFile(const fs::path& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(Slurp(path));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    INFO(path << ": " << line);
    REQUIRE(eq != std::string::npos);
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

// The options `vexbench SUBCOMMAND... --help` lists (it must exit 0: the subcommand exists).
std::set<std::string> OptionsOf(const std::vector<std::string>& subcommand) {
  static std::map<std::vector<std::string>, std::set<std::string>> cache;
  if (auto it = cache.find(subcommand); it != cache.end()) return it->second;
  std::vector<std::string> args = subcommand;
  args.push_back("--help");
  const RunResult r = RunVexbench(args, MakeTempDir("deploy-help") + "/help");
  INFO("vexbench " << args[0] << " --help: " << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Option lines only ("  -h,--help   Print ..."), not flags that descriptions mention.
  std::set<std::string> options;
  const std::regex option(R"(^\s+(-[a-zA-Z],)?(--[a-z][a-z0-9-]*)\b.*)");
  std::istringstream lines(r.out);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (std::regex_match(line, m, option)) options.insert(m[2]);
  }
  REQUIRE(options.count("--help") == 1);
  return cache[subcommand] = options;
}

// Every flag of `args` (args[0] is the subcommand) is one the binary has, and a flag that takes
// a value is followed by one. Returns flag -> value.
std::map<std::string, std::string> CheckCommandLine(const std::vector<std::string>& args,
                                                    const std::string& where) {
  INFO(where);
  REQUIRE(!args.empty());
  const std::set<std::string> options = OptionsOf({args[0]});
  const std::set<std::string> switches = {"--insecure", "--help"};  // flags without a value
  std::map<std::string, std::string> values;
  for (size_t i = 1; i < args.size(); ++i) {
    INFO("argument " << i << ": " << args[i]);
    REQUIRE(args[i].rfind("--", 0) == 0);  // no stray positional words
    CHECK(options.count(args[i]) == 1);
    if (switches.count(args[i]) != 0) continue;
    REQUIRE(i + 1 < args.size());
    REQUIRE(args[i + 1].rfind("--", 0) != 0);
    values[args[i]] = args[i + 1];
    ++i;
  }
  return values;
}

std::vector<std::string> Strings(const YAML::Node& list) {
  std::vector<std::string> out;
  for (const YAML::Node& item : list) out.push_back(item.as<std::string>());
  return out;
}

std::string PortOf(const std::string& address) { return address.substr(address.rfind(':') + 1); }

TEST_CASE("deploy: every YAML file parses", "[deploy]") {
  const std::vector<fs::path> files = FilesEndingWith({".yml", ".yaml"});
  REQUIRE(files.size() >= 4);  // compose, controller, agents, secrets
  for (const fs::path& path : files) {
    INFO(path);
    std::vector<YAML::Node> documents;
    REQUIRE_NOTHROW(documents = YAML::LoadAllFromFile(path.string()));
    REQUIRE(!documents.empty());
    for (const YAML::Node& d : documents) CHECK(d.IsMap());
  }
}

TEST_CASE("deploy: systemd units parse, are sandboxed and run flags the binary has",
          "[deploy]") {
  const std::vector<fs::path> units = FilesEndingWith({".service"});
  REQUIRE(units.size() == 2);
  std::set<std::string> subcommands;
  for (const fs::path& path : units) {
    INFO(path);
    const Unit unit = ParseUnit(path);
    REQUIRE(unit.count("Unit") == 1);
    REQUIRE(unit.count("Service") == 1);
    CHECK(One(unit, "Install", "WantedBy") == "multi-user.target");
    // Sandboxing a user relies on.
    CHECK(One(unit, "Service", "DynamicUser") == "yes");
    CHECK(One(unit, "Service", "NoNewPrivileges") == "yes");
    CHECK(One(unit, "Service", "ProtectSystem") == "strict");
    CHECK(One(unit, "Service", "ProtectHome") == "yes");
    CHECK(One(unit, "Service", "PrivateTmp") == "yes");
    CHECK(One(unit, "Service", "CapabilityBoundingSet").empty());

    // The env file beside it gives every ${VAR} of ExecStart a value.
    const std::string env_path = One(unit, "Service", "EnvironmentFile");
    const fs::path local_env = kDeploy / "config" / fs::path(env_path).filename();
    REQUIRE(fs::exists(local_env));
    const auto env = ParseEnvFile(local_env);
    std::string exec = One(unit, "Service", "ExecStart");
    const std::regex var(R"(\$\{([A-Z_]+)\})");
    std::smatch m;
    std::set<std::string> used;
    while (std::regex_search(exec, m, var)) {
      INFO("ExecStart uses ${" << m[1] << "}");
      REQUIRE(env.count(m[1]) == 1);
      used.insert(m[1]);
      exec = m.prefix().str() + env.at(m[1]) + m.suffix().str();
    }
    std::vector<std::string> words = Words(exec);
    REQUIRE(words.size() >= 2);
    CHECK(words[0] == "/usr/local/bin/vexbench");
    words.erase(words.begin());
    subcommands.insert(words[0]);
    const auto flags = CheckCommandLine(words, path.string());
    // The state directory systemd makes is where the controller keeps its store.
    if (words[0] == "controller") {
      CHECK(flags.at("--data") == "/var/lib/" + One(unit, "Service", "StateDirectory"));
    }
    // Every other variable of the env file is one the binary reads.
    const std::string sources = Slurp(fs::path(VEXBENCH_SOURCE_DIR) / "controller" / "main.cc");
    for (const auto& [name, value] : env) {
      if (used.count(name) != 0) continue;
      INFO(local_env << ": " << name << " is neither in ExecStart nor read by vexbench");
      CHECK(sources.find("\"" + name + "\"") != std::string::npos);
    }
  }
  CHECK(subcommands == std::set<std::string>{"controller", "agent"});
}

TEST_CASE("deploy: systemd-analyze accepts the units", "[deploy]") {
  if (Capture("command -v systemd-analyze").empty()) {
    WARN("systemd-analyze is not installed: skipped");
    return;
  }
  // `verify` needs the binary at ExecStart's path: check copies that point at the built one.
  const std::string dir = MakeTempDir("deploy-units");
  for (const fs::path& path : FilesEndingWith({".service"})) {
    std::string text = Slurp(path);
    const std::string from = "/usr/local/bin/vexbench";
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at)) {
      text.replace(at, from.size(), VEXBENCH_BINARY);
    }
    WriteFile(dir + "/" + path.filename().string(), text);
    const std::string out = Capture("systemd-analyze verify --man=no '" + dir + "/" +
                                    path.filename().string() + "' 2>&1; echo \"exit $?\"");
    INFO(path << ":\n" << out);
    // Only complaints about this unit matter (the host's own units may have some).
    CHECK(out.find(path.filename().string() + ":") == std::string::npos);
    CHECK(out.find("exit 0") != std::string::npos);
    // systemd's own exposure score (0 best, 10 worst): at most 2.0 ("OK").
    const std::string security =
        Capture("cd '" + dir + "' && systemd-analyze security --offline=yes --threshold=20 "
                "--no-pager '" + path.filename().string() + "' 2>&1; echo \"exit $?\"");
    INFO(security);
    CHECK(security.find("exit 0") != std::string::npos);
  }
}

TEST_CASE("deploy: compose runs a controller, two agents and the targets", "[deploy]") {
  const YAML::Node compose = YAML::LoadFile((kDeploy / "docker-compose.yml").string());
  const YAML::Node services = compose["services"];
  for (const char* name : {"controller", "agent-1", "agent-2", "chromadb", "qdrant", "weaviate"}) {
    INFO(name);
    CHECK(services[name].IsMap());
  }
  std::map<std::string, std::map<std::string, std::string>> flags;
  for (const auto& service : services) {
    const std::string name = service.first.as<std::string>();
    if (service.second["image"].as<std::string>().rfind("vexbench:", 0) != 0) continue;
    const std::vector<std::string> args = Strings(service.second["command"]);
    flags[name] = CheckCommandLine(args, "docker-compose.yml: " + name);
    // Every file a flag names is inside one of the service's volumes.
    for (const auto& [flag, value] : flags[name]) {
      if (flag.rfind("--tls-", 0) != 0) continue;
      bool mounted = false;
      for (const auto& v : service.second["volumes"]) {
        const std::string volume = v.as<std::string>();
        const size_t colon = volume.find(':');
        const std::string target = volume.substr(colon + 1, volume.find(':', colon + 1) - colon - 1);
        mounted = mounted || value.rfind(target + "/", 0) == 0;
      }
      INFO(name << " " << flag << " " << value << " is on no volume");
      CHECK(mounted);
    }
  }
  REQUIRE(flags.count("controller") == 1);
  const std::string port = PortOf(flags["controller"].at("--listen"));
  for (const char* agent : {"agent-1", "agent-2"}) {
    INFO(agent);
    REQUIRE(flags.count(agent) == 1);
    CHECK(flags[agent].at("--controller") == "controller:" + port);
    CHECK(flags[agent].at("--name") == agent);
  }
}

TEST_CASE("deploy: kubernetes manifests fit together", "[deploy]") {
  std::map<std::string, YAML::Node> objects;  // "Kind/name"
  for (const char* file : {"controller.yaml", "agents.yaml", "secrets.example.yaml"}) {
    for (const YAML::Node& d : YAML::LoadAllFromFile((kDeploy / "kubernetes" / file).string())) {
      objects[d["kind"].as<std::string>() + "/" + d["metadata"]["name"].as<std::string>()] = d;
    }
  }
  for (const char* key :
       {"Deployment/vexbench-controller", "Service/vexbench-controller",
        "PersistentVolumeClaim/vexbench-data", "Deployment/vexbench-agent"}) {
    INFO(key);
    REQUIRE(objects.count(key) == 1);
  }
  // Controller: its --data is on the claim, its ports are the Service's.
  const YAML::Node controller = objects["Deployment/vexbench-controller"];
  CHECK(controller["spec"]["replicas"].as<int>() == 1);  // SQLite on a ReadWriteOnce volume
  CHECK(controller["spec"]["strategy"]["type"].as<std::string>() == "Recreate");
  const YAML::Node pod = controller["spec"]["template"]["spec"];
  const YAML::Node container = pod["containers"][0];
  const auto flags = CheckCommandLine(Strings(container["args"]), "controller.yaml");
  std::string data_volume;
  for (const auto& mount : container["volumeMounts"]) {
    if (mount["mountPath"].as<std::string>() == flags.at("--data")) {
      data_volume = mount["name"].as<std::string>();
    }
  }
  REQUIRE(!data_volume.empty());
  bool on_claim = false;
  for (const auto& volume : pod["volumes"]) {
    on_claim = on_claim || (volume["name"].as<std::string>() == data_volume &&
                            volume["persistentVolumeClaim"]["claimName"].as<std::string>() ==
                                "vexbench-data");
  }
  CHECK(on_claim);
  const YAML::Node service = objects["Service/vexbench-controller"];
  std::map<std::string, std::string> service_ports;  // port -> container port
  for (const auto& p : service["spec"]["ports"]) {
    const std::string target = p["targetPort"].as<std::string>();
    for (const auto& cp : container["ports"]) {
      if (cp["name"].as<std::string>() == target) {
        service_ports[p["port"].as<std::string>()] = cp["containerPort"].as<std::string>();
      }
    }
  }
  const std::string grpc_port = PortOf(flags.at("--listen"));
  CHECK(service_ports.count(grpc_port) == 1);
  CHECK(service_ports[grpc_port] == grpc_port);
  CHECK(service_ports[PortOf(flags.at("--http"))] == PortOf(flags.at("--http")));
  for (const auto& label : service["spec"]["selector"]) {
    CHECK(controller["spec"]["template"]["metadata"]["labels"][label.first.as<std::string>()]
              .as<std::string>() == label.second.as<std::string>());
  }

  // Agents: dial the Service, spread over nodes.
  const YAML::Node agents = objects["Deployment/vexbench-agent"];
  const YAML::Node agent_pod = agents["spec"]["template"]["spec"];
  const auto agent_flags =
      CheckCommandLine(Strings(agent_pod["containers"][0]["args"]), "agents.yaml");
  CHECK(agent_flags.at("--controller") ==
        "vexbench-controller." + service["metadata"]["namespace"].as<std::string>() + ".svc:" +
            grpc_port);
  const YAML::Node spread = agent_pod["topologySpreadConstraints"][0];
  CHECK(spread["topologyKey"].as<std::string>() == "kubernetes.io/hostname");
  CHECK(spread["maxSkew"].as<int>() == 1);
  for (const auto& label : spread["labelSelector"]["matchLabels"]) {
    CHECK(agents["spec"]["template"]["metadata"]["labels"][label.first.as<std::string>()]
              .as<std::string>() == label.second.as<std::string>());
  }
  CHECK(agent_pod["affinity"]["podAntiAffinity"].IsMap());
}

TEST_CASE("deploy: the Containerfile installs what the binary links, from Debian 12",
          "[deploy]") {
  const std::string text = Slurp(kDeploy / "Containerfile");
  // Stages: FROM lines, each followed by its apt-get install packages.
  std::vector<std::string> bases;
  std::vector<std::set<std::string>> packages;
  std::istringstream in(text);
  std::string line, joined;
  while (std::getline(in, line)) {
    if (line.rfind("#", 0) == 0) continue;
    joined += line.back() == '\\' ? line.substr(0, line.size() - 1) : line + "\n";
  }
  std::istringstream stages(joined);
  while (std::getline(stages, line)) {
    const std::vector<std::string> words = Words(line);
    if (words.empty()) continue;
    if (words[0] == "FROM") {
      bases.push_back(words[1]);
      packages.emplace_back();
    }
    auto install = std::find(words.begin(), words.end(), "install");
    if (words[0] == "RUN" && install != words.end()) {
      for (auto it = install + 1; it != words.end() && *it != "&&"; ++it) {
        if (it->rfind("-", 0) != 0) packages.back().insert(*it);
      }
    }
  }
  REQUIRE(bases.size() == 2);
  for (const std::string& base : bases) CHECK(base.rfind("debian:12", 0) == 0);

  // The build stage installs nothing scripts/lib.sh does not (one list of build packages).
  const std::string lib_sh = Slurp(fs::path(VEXBENCH_SOURCE_DIR) / "scripts" / "lib.sh");
  for (const std::string& p : packages[0]) {
    INFO("build stage package " << p << " is not in VEXBENCH_PACKAGES");
    const std::string escaped = std::regex_replace(p, std::regex(R"([+.])"), R"(\$&)");
    CHECK(std::regex_search(lib_sh, std::regex("[ (]" + escaped + "[ \n)]")));
  }
  // The run stage has the package of every library the binary needs.
  const std::string needed = Capture(std::string("objdump -p '") + VEXBENCH_BINARY +
                                     "' | awk '/NEEDED/{print $2}'");
  REQUIRE(!needed.empty());
  for (const std::string& library : Words(needed)) {
    // "pkg: /path", or "pkg1, pkg2: /path" for a file that several packages ship.
    // Of this architecture's multiarch directory (not, say, libc6-i386's /lib32).
    std::string owner = Capture("dpkg -S \"*/$(gcc -dumpmachine)/" + library +
                                "\" 2>/dev/null | head -n 1 | cut -d: -f1");
    std::replace(owner.begin(), owner.end(), ',', ' ');
    const std::vector<std::string> owners = Words(owner);
    INFO(library << " (package: " << owner << ")");
    REQUIRE(!owners.empty());
    const bool installed = std::any_of(owners.begin(), owners.end(), [&](const std::string& o) {
      return o == "libc6" || o == "libgcc-s1" || packages[1].count(o) == 1;  // libc: in every image
    });
    CHECK(installed);
  }
}

TEST_CASE("docs: every vexbench command in the operator docs uses flags the binary has",
          "[deploy][docs]") {
  // Subcommands with subcommands of their own.
  const std::set<std::string> groups = {"schedule"};
  // Names the root --help lists as subcommands.
  const RunResult root = RunVexbench({"--help"}, MakeTempDir("deploy-help") + "/root");
  REQUIRE(root.exit_code == 0);
  const std::string subcommands = root.out.substr(root.out.find("Subcommands:"));
  int commands = 0;
  for (const char* doc : {"docs/getting-started.md", "docs/ci.md", "docs/operations.md",
                          "deploy/README.md"}) {
    std::string text = Slurp(fs::path(VEXBENCH_SOURCE_DIR) / doc);
    text = std::regex_replace(text, std::regex(R"(\\\n\s*)"), " ");  // join continued lines
    const std::regex command(R"(\bvexbench ([a-z]+)( [a-z]+)?([^`|;&)\n]*))");
    for (std::sregex_iterator it(text.begin(), text.end(), command), end; it != end; ++it) {
      const std::string sub = (*it)[1];
      if (subcommands.find("\n  " + sub + " ") == std::string::npos) continue;  // prose
      std::vector<std::string> path = {sub};
      if (groups.count(sub) != 0 && (*it)[2].matched) path.push_back((*it)[2].str().substr(1));
      const std::set<std::string> options = OptionsOf(path);
      const std::string rest = (*it)[3];
      const std::regex flag(R"((^|\s)(--[a-z][a-z0-9-]*))");
      for (std::sregex_iterator f(rest.begin(), rest.end(), flag); f != end; ++f) {
        INFO(doc << ": " << it->str());
        CHECK(options.count((*f)[2]) == 1);
      }
      ++commands;
    }
  }
  CHECK(commands >= 20);
}

}  // namespace
}  // namespace vexbench::testing

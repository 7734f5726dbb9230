#include "controller/dashboard_assets.h"

#include "controller/assets/assets.h"

namespace vexbench {

std::optional<DashboardFileContent> DashboardFile(const std::string& path) {
  struct Route {
    const char* path;
    const char* asset;
    const char* content_type;
  };
  static constexpr Route kRoutes[] = {
      {"/", "dashboard.html", "text/html; charset=utf-8"},
      {"/index.html", "dashboard.html", "text/html; charset=utf-8"},
      {"/login", "dashboard-login.html", "text/html; charset=utf-8"},
      {"/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"},
      {"/dashboard.css", "dashboard.css", "text/css; charset=utf-8"},
      {"/charts.js", "charts.js", "text/javascript; charset=utf-8"},
  };
  for (const Route& r : kRoutes) {
    if (path != r.path) continue;
    const std::string_view body = Asset(r.asset);
    if (body.empty()) return std::nullopt;
    return DashboardFileContent{r.content_type, body};
  }
  return std::nullopt;
}

}  // namespace vexbench

// The dashboard's files (controller/assets/dashboard*, compiled in: nothing is fetched or read
// from disk at run time) by the path the controller serves them at.
#ifndef VEXBENCH_CONTROLLER_DASHBOARD_ASSETS_H_
#define VEXBENCH_CONTROLLER_DASHBOARD_ASSETS_H_

#include <optional>
#include <string>
#include <string_view>

namespace vexbench {

struct DashboardFileContent {
  std::string_view content_type;
  std::string_view body;  // static storage
};

// "/" (the single-page dashboard), "/login" (the token form), "/dashboard.js",
// "/dashboard.css", "/charts.js" (the report's SVG charts, shared); nullopt for anything else.
std::optional<DashboardFileContent> DashboardFile(const std::string& path);

}  // namespace vexbench

#endif  // VEXBENCH_CONTROLLER_DASHBOARD_ASSETS_H_

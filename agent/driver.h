// What drives one (target, phase) on one engine thread, whatever the transport: PhaseDriver
// (HTTP connections) or FileDriver (file-system calls on worker threads, with deadlines).
//
// Lifecycle: the shard runner posts Start() to the driver's io_context; the driver calls its
// `on_done` (posted to that io_context) after its last operation; the runner then drains it a
// last time and destroys it on that thread.
#ifndef VEXBENCH_AGENT_DRIVER_H_
#define VEXBENCH_AGENT_DRIVER_H_

#include <memory>
#include <string>
#include <vector>

#include "agent/series_recorder.h"
#include "common/clock.h"

namespace vexbench {

class Driver {
 public:
  virtual ~Driver() = default;
  // On the driver's io_context thread.
  virtual void Start() = 0;
  // Stops issuing, aborts what is in flight without recording it; `on_done` follows.
  virtual void Cancel() = 0;
  // The operations (one result series each), fixed at construction.
  virtual const std::vector<std::string>& ops() const = 0;
  // Moves what was measured since the last drain into `sinks` (one per op, same order). On the
  // driver's io_context thread, or anywhere once it is done.
  virtual void DrainInto(std::vector<SeriesRecorder>& sinks) = 0;
  // When it actually began; MonoTime::max() before that.
  virtual MonoTime began() const = 0;
};
using DriverPtr = std::unique_ptr<Driver>;

}  // namespace vexbench

#endif  // VEXBENCH_AGENT_DRIVER_H_

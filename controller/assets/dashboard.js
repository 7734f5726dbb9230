// The vexbench dashboard: one page, views chosen by the URL's hash, data from the controller's
// /api (controller/http_api.h). Charts are SVG from charts.js (VexCharts). No other code.
//
//   #/jobs                 jobs: state, verdict, duration, targets
//   #/job/ID               live page: req/s and p99 per target each second (Server-Sent Events)
//   #/report/ID            the report: results, thresholds, agents
//   #/compare[/A/B]        two runs side by side
//   #/agents               connected agents
//   #/schedules[/NAME]     schedules and their history (trend of p99, throughput, recall per
//                          target across runs; regressions marked)
//   #/submit               the custom benchmark form
(function () {
  'use strict';

  var view = document.getElementById('view');
  var cleanup = [];  // run when the view changes (timers, event streams)

  // --- Helpers -------------------------------------------------------------------------------
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  function show() {
    while (view.firstChild) view.removeChild(view.firstChild);
    for (var i = 0; i < arguments.length; ++i) if (arguments[i]) view.appendChild(arguments[i]);
  }
  function num(v, digits) {
    if (v === null || v === undefined || v === '' || !isFinite(Number(v))) return 'n/a';
    return Number(v).toFixed(digits === undefined ? 0 : digits);
  }
  function ms(v) { return v === null || v === undefined ? 'n/a' : num(v, v < 10 ? 3 : 1); }
  function table(headers, rows, attrs) {
    return h('table', attrs || {}, [
      h('thead', {}, [h('tr', {}, headers.map(function (x) { return h('th', {text: x}); }))]),
      h('tbody', {}, rows.map(function (r) {
        return h('tr', {}, r.map(function (c) {
          if (c instanceof Node) return h('td', {}, [c]);
          var isNum = typeof c === 'number' || /^-?[0-9.]+( ?[a-z%/]+)?$/.test(String(c));
          return h('td', {'class': isNum ? 'num' : null, text: c === undefined ? '' : String(c)});
        }));
      }))
    ]);
  }
  function stateBadge(state) { return h('span', {'class': 'state ' + state, text: state}); }
  var VERDICTS = {0: 'passed', 1: 'threshold failed', 2: 'failed', 3: 'partial', 4: 'cancelled'};
  function verdict(job) {
    if (job.state === 'queued' || job.state === 'running') return '';
    var v = VERDICTS[job.exit_code];
    return v === undefined ? 'exit ' + job.exit_code : v;
  }
  function duration(job) {
    var start = Number(job.started_unix_us), end = Number(job.ended_unix_us);
    if (!start) return '-';
    if (!end) end = Date.now() * 1000;
    return ((end - start) / 1e6).toFixed(1) + ' s';
  }
  function when(us) {
    us = Number(us);
    return us ? new Date(us / 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '-';
  }
  function link(href, text) { return h('a', {href: href, text: text}); }
  function message(text, cls) { return h('p', {'class': cls || 'muted', text: text}); }

  // Fetches JSON from the API; a 401 goes to the login page. Rejects with {status, error}.
  function api(path, options) {
    return fetch(path, Object.assign({credentials: 'same-origin'}, options || {})).then(function (r) {
      if (r.status === 401) { location.href = '/login'; return new Promise(function () {}); }
      return r.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = {error: text}; }
        if (!r.ok) return Promise.reject({status: r.status, error: (body && body.error) || r.statusText});
        return body;
      });
    });
  }
  function post(path, body) {
    return api(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                      body: JSON.stringify(body || {})});
  }
  function failed(what) {
    return function (e) { show(h('h1', {text: what}), message(e.error || String(e), 'error')); };
  }
  function every(ms, fn) {
    fn();
    var timer = setInterval(fn, ms);
    cleanup.push(function () { clearInterval(timer); });
  }

  // --- Jobs ----------------------------------------------------------------------------------
  function jobsView() {
    var picked = [];
    var compare = h('button', {id: 'compare-selected', disabled: true, onclick: function () {
      location.hash = '#/compare/' + picked[0] + '/' + picked[1];
    }}, ['Compare the two selected']);
    var holder = h('div', {id: 'jobs'});
    show(h('h1', {text: 'Jobs'}), h('p', {}, [link('#/submit', 'Submit a job'), ' · ', compare]), holder);
    every(2000, function () {
      api('/api/jobs?limit=100').then(function (jobs) {
        var rows = jobs.map(function (j) {
          var box = h('input', {type: 'checkbox', value: j.id, onchange: function (ev) {
            if (ev.target.checked) picked.push(j.id);
            else picked = picked.filter(function (x) { return x !== j.id; });
            compare.disabled = picked.length !== 2;
          }});
          box.checked = picked.indexOf(j.id) >= 0;
          var open = j.state === 'queued' || j.state === 'running'
              ? link('#/job/' + j.id, 'live') : link('#/report/' + j.id, 'report');
          return [box, link('#/job/' + j.id, j.id), j.name, stateBadge(j.state), verdict(j),
                  duration(j), (j.targets || []).join(', '), (j.agent_names || []).join(', ') || String(j.agents),
                  when(j.created_unix_us), open];
        });
        while (holder.firstChild) holder.removeChild(holder.firstChild);
        holder.appendChild(jobs.length
            ? table(['', 'id', 'name', 'state', 'verdict', 'duration', 'targets', 'agents', 'created', ''],
                    rows, {id: 'jobs-table'})
            : message('No jobs yet: submit one from the custom benchmark form or with `vexbench submit`.'));
      }, function (e) { holder.textContent = e.error; });
    });
  }

  // --- Live job page -------------------------------------------------------------------------
  function jobView(id) {
    var title = h('h1', {text: 'Job ' + id});
    var stats = h('div', {'class': 'stats', id: 'live-stats'});
    var bar = h('progress', {id: 'progress', max: 1, value: 0});
    var rps = h('div', {id: 'chart-rps'}), p99 = h('div', {id: 'chart-p99'});
    var agents = h('div', {id: 'live-agents'});
    var status = h('p', {id: 'live-status', 'class': 'muted', text: 'connecting…'});
    var cancel = h('button', {id: 'cancel', onclick: function () {
      post('/api/jobs/' + encodeURIComponent(id) + '/cancel').then(function (j) {
        status.textContent = 'cancel requested (' + j.state + ')';
      }, function (e) { status.textContent = e.error; });
    }}, ['Cancel job']);
    show(title, status, h('p', {}, [bar, ' ', cancel, ' ', link('#/report/' + id, 'report so far')]),
         stats, h('div', {'class': 'charts'}, [rps, p99]), h('h2', {text: 'Agents'}), agents);
    var series = {rps: {}, p99: {}};
    var seen = {};
    var updates = 0;
    var lastLatest = {};
    function draw() {
      var mk = function (m) {
        return Object.keys(m).sort().map(function (t) { return {name: t, points: m[t]}; });
      };
      VexCharts.lines(rps, mk(series.rps), {title: 'Throughput per target', xLabel: 'elapsed (s)',
                                           yLabel: 'req/s', unit: 'req/s', xUnit: 's'});
      VexCharts.lines(p99, mk(series.p99), {title: 'p99 latency per target', xLabel: 'elapsed (s)',
                                           yLabel: 'ms', unit: 'ms', xUnit: 's'});
    }
    function render(ev) {
      updates += 1;
      var job = ev.job;
      title.textContent = 'Job ' + job.id + ' · ' + job.name;
      bar.value = ev.progress || 0;
      var started = Number(job.started_unix_us);
      (ev.targets || []).forEach(function (t) {
        var key = t.target + '@' + t.interval_start_unix_us;
        if (seen[key] || !t.interval_s) return;
        seen[key] = true;
        var x = started ? (t.interval_start_unix_us - started) / 1e6 + t.interval_s : ev.elapsed_s;
        (series.rps[t.target] = series.rps[t.target] || []).push([x, t.rps]);
        (series.p99[t.target] = series.p99[t.target] || []).push([x, t.p99_ms]);
      });
      draw();
      // An ended job's event has no interval of its own: keep showing the last one seen.
      if (ev.latest && ev.latest.interval_s) lastLatest = ev.latest;
      var l = lastLatest;
      while (stats.firstChild) stats.removeChild(stats.firstChild);
      [['state', job.state], ['phase', l.phase || '-'],
       ['elapsed', num(ev.elapsed_s, 0) + (ev.planned_s ? ' / ' + num(ev.planned_s, 0) : '') + ' s'],
       ['req/s', num(l.rps, 0)], ['p99', ms(l.p99_ms) + ' ms'], ['errors', String(l.errors || 0)],
       ['agents running', String(ev.agents_running)]].forEach(function (s) {
        stats.appendChild(h('div', {'data-stat': s[0]}, [s[0], h('b', {text: s[1]})]));
      });
      while (agents.firstChild) agents.removeChild(agents.firstChild);
      agents.appendChild(ev.agents && ev.agents.length
          ? table(['agent', 'host', 'state', 'error'], ev.agents.map(function (a) {
              return [a.name, a.host, stateBadge(a.state || '-'), a.error || ''];
            }))
          : message(job.state === 'queued' ? 'queued: waiting for ' + job.agents + ' free matching agent(s)' : 'no agents'));
      status.textContent = job.state === 'running' ? 'live: ' + updates + ' update(s)' : job.state;
      status.setAttribute('data-updates', String(updates));
    }
    draw();
    var source = new EventSource('/api/jobs/' + encodeURIComponent(id) + '/events');
    cleanup.push(function () { source.close(); });
    source.addEventListener('progress', function (m) { render(JSON.parse(m.data)); });
    source.addEventListener('end', function (m) {
      source.close();
      var ev = JSON.parse(m.data);
      render(ev);
      cancel.disabled = true;
      status.textContent = 'ended: ' + ev.job.state + (verdict(ev.job) ? ' (' + verdict(ev.job) + ')' : '');
      status.appendChild(document.createTextNode(' · '));
      status.appendChild(h('a', {href: '#/report/' + id, id: 'open-report', text: 'open the report'}));
    });
    source.addEventListener('error', function (m) {
      if (m.data) { source.close(); status.textContent = JSON.parse(m.data).error; return; }
      if (source.readyState === EventSource.CLOSED) status.textContent = 'the event stream closed';
    });
  }

  // --- Report --------------------------------------------------------------------------------
  function resultRows(report) {
    return (report.results || []).map(function (r) {
      var lat = r.latency_ms || {};
      return [r.target, r.phase, r.op, r.requests, r.errors, num(r.throughput_rps, 1),
              ms(lat.p50), ms(lat.p90), ms(lat.p99), ms(lat.p999), ms(lat.max),
              r.recall_at_k ? num(r.recall_at_k.mean, 4) + ' @' + r.recall_at_k.k : ''];
    });
  }
  function reportView(id) {
    api('/api/jobs/' + encodeURIComponent(id)).then(function (report) {
      var job = report.job || {};
      var summary = job.summary || {};
      var results = report.results || [];
      var parts = [
        h('h1', {text: 'Report ' + id + (job.name ? ' · ' + job.name : '')}),
        h('p', {}, [stateBadge(job.state || '?'), ' ',
                    h('span', {'class': 'verdict ' + (summary.exit_code === 0 ? 'passed' : 'failed'),
                               text: verdict(summary)}),
                    ' · duration ' + duration(summary) + ' · ',
                    link('/api/jobs/' + encodeURIComponent(id), 'report.json'), ' · ',
                    link('/api/jobs/' + encodeURIComponent(id) + '/report.html', 'HTML report'),
                    ' · ', link('#/job/' + id, 'live page')]),
        job.error ? message(job.error, 'error') : null,
        h('h2', {text: 'Results'}),
        results.length ? table(['target', 'phase', 'op', 'requests', 'errors', 'req/s', 'p50 ms',
                                'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'recall'],
                               resultRows(report), {id: 'results'})
                       : message('No results (yet).'),
      ];
      var charts = h('div', {'class': 'charts'});
      if (results.length) {
        var label = function (r) { return r.target + ' ' + r.phase; };
        var c1 = h('div', {id: 'chart-report-p99'}), c2 = h('div', {id: 'chart-report-rps'});
        charts.appendChild(c1); charts.appendChild(c2);
        VexCharts.bars(c1, results.map(function (r) {
          return {name: label(r), value: r.latency_ms ? r.latency_ms.p99 : null};
        }), {title: 'p99 latency', unit: 'ms', yLabel: 'ms'});
        VexCharts.bars(c2, results.map(function (r) {
          return {name: label(r), value: r.throughput_rps};
        }), {title: 'Throughput', unit: 'req/s', yLabel: 'req/s'});
        parts.push(charts);
      }
      if ((report.thresholds || []).length) {
        parts.push(h('h2', {text: 'Thresholds'}));
        parts.push(table(['threshold', 'value', 'result'], report.thresholds.map(function (t) {
          return [t.expr, t.value === undefined ? '' : String(t.value),
                  h('span', {'class': 'verdict ' + (t.passed ? 'passed' : 'failed'),
                             text: t.passed ? 'passed' : 'failed'})];
        })));
      }
      if ((report.agents || []).length) {
        parts.push(h('h2', {text: 'Agents'}));
        parts.push(table(['agent', 'host', 'state', 'requests', 'errors'], report.agents.map(function (a) {
          return [a.name, a.host, a.state, a.requests, a.errors];
        })));
      }
      // The reports issue's self-contained HTML report (`vexbench report --format html`).
      if (job.state !== 'queued') {
        parts.push(h('h2', {text: 'Full report'}));
        parts.push(h('iframe', {id: 'report-html', title: 'HTML report',
                                src: '/api/jobs/' + encodeURIComponent(id) + '/report.html',
                                style: 'width: 100%; height: 900px; border: 1px solid #ddd; background: #fff'}));
      }
      show.apply(null, parts);
    }, failed('Report ' + id));
  }

  // --- Compare -------------------------------------------------------------------------------
  // /api/compare: the same verdict as `vexbench compare A B` (controller/compare.h).
  function compareView(a, b) {
    var form = h('form', {'class': 'compare', onsubmit: function (ev) {
      ev.preventDefault();
      location.hash = '#/compare/' + encodeURIComponent(form.a.value.trim()) + '/' +
                      encodeURIComponent(form.b.value.trim());
    }}, [h('label', {}, ['Baseline job ', h('input', {name: 'a', value: a || '', required: true})]),
         h('label', {}, ['Candidate job ', h('input', {name: 'b', value: b || '', required: true})]),
         h('button', {type: 'submit', text: 'Compare'})]);
    var out = h('div', {id: 'compare'});
    show(h('h1', {text: 'Compare two runs'}), form, out);
    if (!a || !b) return;
    api('/api/compare?a=' + encodeURIComponent(a) + '&b=' + encodeURIComponent(b)).then(function (c) {
      var fmt = function (v) { return v === null || v === undefined ? 'n/a' : num(v, Math.abs(v) < 10 ? 3 : 1); };
      var rows = (c.rows || []).map(function (r) {
        var change = r.change_percent === null || r.change_percent === undefined ? ''
            : h('span', {'class': 'delta ' + (r.regression ? 'worse' : ''),
                         text: (r.change_percent >= 0 ? '+' : '') + r.change_percent.toFixed(1) +
                               (r.metric === 'errors' ? ' pt' : '%')});
        return [r.target + ' / ' + r.phase + ' / ' + r.op, r.metric, fmt(r.base), fmt(r.current), change,
                r.limit_percent === null || r.limit_percent === undefined ? '' : r.limit_percent + '%',
                r.regression ? h('span', {'class': 'verdict failed', text: 'regression'}) : '', r.note || ''];
      });
      out.appendChild(h('p', {}, [link('#/report/' + a, a), ' (baseline) vs ', link('#/report/' + b, b),
                                  ' (candidate), limits ' + c.max_regression + ': ',
                                  h('b', {id: 'compare-verdict', text: c.any_regression ? 'REGRESSION' : 'no regression'})]));
      out.appendChild(rows.length
          ? table(['series', 'metric', a, b, 'change', 'limit', '', 'note'], rows, {id: 'compare-table'})
          : message('Nothing to compare: neither report has results.'));
    }, function (e) { out.appendChild(message(e.error, 'error')); });
  }

  // --- Agents --------------------------------------------------------------------------------
  function agentsView() {
    var holder = h('div', {id: 'agents'});
    show(h('h1', {text: 'Agents'}), holder);
    every(2000, function () {
      api('/api/agents').then(function (agents) {
        while (holder.firstChild) holder.removeChild(holder.firstChild);
        holder.appendChild(agents.length ? table(
            ['name', 'host', 'version', 'cores', 'labels', 'state', 'job', 'last seen', 'rtt ms', 'clock offset ms'],
            agents.map(function (a) {
              var labels = Object.keys(a.labels || {}).map(function (k) { return k + '=' + a.labels[k]; });
              return [a.name, a.host, a.version, a.cores, labels.join(', '), stateBadge(a.state),
                      a.current_job ? link('#/job/' + a.current_job, a.current_job) : '',
                      when(a.last_seen_unix_us), num(Number(a.rtt_us) / 1000, 2),
                      num(Number(a.clock_offset_us) / 1000, 2)];
            }), {id: 'agents-table'})
          : message('No agents connected: start one with `vexbench agent --controller HOST:PORT`.'));
      }, function (e) { holder.textContent = e.error; });
    });
  }

  // --- Schedules -----------------------------------------------------------------------------
  // /api/schedules: [ScheduleSummary]; /api/schedules/NAME: {schedule, runs: [ScheduleRun with
  // results: [{target, phase, op, throughput_rps, p99_ms, recall}]]}, newest first.
  function runVerdict(run) {
    if (!run || !Number(run.seq)) return '';
    if (run.regression) return h('span', {'class': 'verdict failed', text: 'regression vs ' + run.baseline_job_id});
    if (run.baseline_job_id) return h('span', {'class': 'verdict passed', text: 'ok vs ' + run.baseline_job_id});
    return '';
  }
  function jobLink(id) { return id ? link('#/report/' + id, id) : '-'; }
  function schedulesView() {
    var holder = h('div', {id: 'schedules'});
    show(h('h1', {text: 'Schedules'}), holder);
    api('/api/schedules').then(function (list) {
      if (!list.length) {
        holder.appendChild(message('No schedules. Add one with `vexbench schedule add NAME --cron "0 2 * * *" JOB.yaml`.'));
        return;
      }
      holder.appendChild(table(['name', 'cron', 'time zone', 'job', 'state', 'next fire (UTC)',
                                'last job', 'last state', 'verdict'],
        list.map(function (s) {
          var last = s.last_run || {};
          return [link('#/schedules/' + encodeURIComponent(s.name), s.name), s.cron, s.time_zone,
                  s.job_name, s.paused ? 'paused' : 'active', when(s.next_fire_unix_us),
                  jobLink(last.job_id), last.state ? stateBadge(last.state) : '-', runVerdict(last)];
        }), {id: 'schedules-table'}));
    }, function (e) { holder.appendChild(message(e.error, 'error')); });
  }
  function scheduleView(name) {
    var out = h('div', {id: 'schedule'});
    show(h('h1', {text: 'Schedule ' + name}), h('p', {}, [link('#/schedules', 'all schedules')]), out);
    api('/api/schedules/' + encodeURIComponent(name) + '?limit=100').then(function (body) {
      var s = body.schedule, runs = body.runs || [];
      out.appendChild(table(['', ''], [
        ['cron', s.cron + ' (' + s.time_zone + ')'], ['job', s.job_name],
        ['state', s.paused ? 'paused' : 'active'], ['next fire (UTC)', when(s.next_fire_unix_us)],
        ['overlap', s.overlap], ['max regression', s.max_regression]]));
      // Trends, oldest run first; x is the run's number in this history (so that gaps between
      // nightly runs do not squeeze the chart).
      var ordered = runs.slice().reverse();
      var trends = h('div', {'class': 'charts', id: 'trends'});
      [['p99_ms', 'p99 latency per target', 'ms'], ['throughput_rps', 'throughput per target', 'req/s'],
       ['recall', 'recall per target', '']].forEach(function (m) {
        var by = {};
        ordered.forEach(function (r, i) {
          (r.results || []).forEach(function (res) {
            var v = res[m[0]];
            if (v === null || v === undefined || !isFinite(Number(v))) return;
            var key = res.target + ' ' + res.phase;
            (by[key] = by[key] || []).push([i + 1, Number(v)]);
          });
        });
        var div = h('div', {id: 'trend-' + m[0]});
        trends.appendChild(div);
        VexCharts.lines(div, Object.keys(by).sort().map(function (k) { return {name: k, points: by[k]}; }),
                        {title: m[1], xLabel: 'run # (oldest first)', yLabel: m[2], unit: m[2]});
      });
      out.appendChild(h('h2', {text: 'Trend across runs'}));
      out.appendChild(trends);
      out.appendChild(h('h2', {text: 'Runs'}));
      out.appendChild(runs.length ? table(['#', 'fire (UTC)', 'job', 'state', 'exit', 'verdict', 'note'],
        runs.map(function (r, i) {
          return [String(runs.length - i), when(r.fire_unix_us), jobLink(r.job_id), stateBadge(r.state),
                  r.exit_code >= 0 ? String(r.exit_code) : '-', runVerdict(r), r.note || ''];
        }), {id: 'runs-table'}) : message('No runs yet.'));
    }, function (e) { out.appendChild(message(e.error, 'error')); });
  }

  // --- Submit (the custom benchmark panel) ---------------------------------------------------
  var EXAMPLE = [
    'name: nginx-smoke',
    'targets:',
    '  - {name: web, kind: http, url: "http://127.0.0.1:8080/index.html", method: GET}',
    'phases:',
    '  - {name: closed, op: request, concurrency: 4, duration: 10s}',
    'thresholds:',
    '  - "errors < 1%"',
    ''].join('\n');
  function submitView() {
    var error = h('p', {id: 'submit-error', 'class': 'error'});
    var form = h('form', {'class': 'submit', id: 'submit-form', onsubmit: function (ev) {
      ev.preventDefault();
      error.textContent = '';
      var selector = {};
      var bad = false;
      form.selector.value.split(',').map(function (x) { return x.trim(); }).filter(Boolean).forEach(function (kv) {
        var eq = kv.indexOf('=');
        if (eq <= 0) { bad = true; error.textContent = 'selector "' + kv + '": expected key=value'; return; }
        selector[kv.slice(0, eq)] = kv.slice(eq + 1);
      });
      if (bad) return;
      var set = form.set.value.split('\n').map(function (x) { return x.trim(); }).filter(Boolean);
      var body = {spec: form.spec.value, selector: selector, set: set};
      if (form.agents.value) body.agents = Number(form.agents.value);
      form.submitButton.disabled = true;
      post('/api/jobs', body).then(function (r) {
        location.hash = '#/job/' + r.id;
      }, function (e) {
        form.submitButton.disabled = false;
        error.textContent = e.error;
      });
    }}, [
      h('label', {}, ['Job spec (YAML or JSON; see docs/job-spec.md)',
                      h('textarea', {name: 'spec', id: 'spec', rows: 16, spellcheck: 'false'})]),
      h('label', {}, ['Agents (empty: the spec\'s own) ',
                      h('input', {name: 'agents', id: 'agents', type: 'number', min: 1})]),
      h('label', {}, ['Selector (labels k=v,k2=v2) ', h('input', {name: 'selector', id: 'selector'})]),
      h('label', {}, ['Overrides, one a line (like --set: phases[0].rate=2000)',
                      h('textarea', {name: 'set', id: 'set', rows: 3, spellcheck: 'false'})]),
      h('button', {type: 'submit', name: 'submitButton', id: 'submit', text: 'Submit job'})]);
    form.spec.value = EXAMPLE;
    show(h('h1', {text: 'Custom benchmark'}), form, error);
  }

  // --- Routing -------------------------------------------------------------------------------
  function route() {
    cleanup.forEach(function (f) { f(); });
    cleanup = [];
    var parts = (location.hash || '#/jobs').slice(2).split('/').map(decodeURIComponent);
    var page = parts[0] || 'jobs';
    Array.prototype.forEach.call(document.querySelectorAll('header nav a'), function (a) {
      a.classList.toggle('active', a.getAttribute('data-nav') === (page === 'job' || page === 'report' ? 'jobs' : page));
    });
    if (page === 'job' && parts[1]) return jobView(parts[1]);
    if (page === 'report' && parts[1]) return reportView(parts[1]);
    if (page === 'compare') return compareView(parts[1], parts[2]);
    if (page === 'agents') return agentsView();
    if (page === 'schedules' && parts[1]) return scheduleView(parts[1]);
    if (page === 'schedules') return schedulesView();
    if (page === 'submit') return submitView();
    return jobsView();
  }
  // Ask first whether a token is needed, so that a browser without the session cookie goes to
  // the login page without a failed (401) request; the log-out button only shows with a token.
  api('/api/session').then(function (s) {
    if (s.token_required && !s.authorized) { location.href = '/login'; return; }
    if (s.token_required) document.getElementById('logout').hidden = false;
    window.addEventListener('hashchange', route);
    route();
  }, failed('vexbench'));
})();

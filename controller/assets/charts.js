// VexCharts: small SVG charts for vexbench reports and pages. No dependencies, no network.
// Embedded into the binary (controller/assets/); served inline in self-contained HTML.
//
//   VexCharts.percentiles(el, series, opts)
//     Latency by percentile on HdrHistogram's plotter axis: x = log10(1 / (1 - p)), ticks
//     labelled 0%, 90%, 99%, 99.9%, ...
//     series: [{name, points: [{p: 99.9, v: 12.5}, ...]}] with p in percent (0 <= p < 100);
//     a point with max: true is drawn at the series' last x as the maximum.
//   VexCharts.lines(el, series, opts)
//     series: [{name, points: [[x, y], ...]}]; opts.xLabel, opts.yLabel.
//   VexCharts.bars(el, items, opts)
//     items: [{name, value, text}] (value null: "n/a"); opts.unit, opts.lowerIsBetter.
//
// Each call replaces el's children with one <svg class="vexchart" data-chart="KIND"> and
// returns it. Colours are assigned by series index (the same target keeps its colour across
// charts when callers pass series in the same order). Hover a point or bar for its value.
(function (global) {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                '#17becf', '#7f7f7f', '#bcbd22'];
  var W = 640, H = 300, M = {left: 64, right: 16, top: 28, bottom: 44};

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, s, attrs) {
    var t = el('text', Object.assign({x: x, y: y, 'font-size': 11, fill: '#333'}, attrs || {}),
               parent);
    t.textContent = s;
    return t;
  }
  function tip(parent, s) {
    el('title', {}, parent).textContent = s;
  }
  function color(i) { return COLORS[i % COLORS.length]; }
  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return 'n/a';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(2) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return v.toPrecision(3);
  }
  // Round tick values for [lo, hi] (linear).
  function ticks(lo, hi, n) {
    if (!(hi > lo)) hi = lo + 1;
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    // From the first multiple of step at or above lo to the first at or above hi, so that the
    // top tick (the axis' top) is never below the highest value.
    var out = [];
    for (var v = Math.ceil(lo / step) * step; ; v += step) {
      out.push(v);
      if (v >= hi - step * 1e-9) break;
    }
    return out;
  }
  function frame(container, kind, opts) {
    while (container.firstChild) container.removeChild(container.firstChild);
    var svg = el('svg', {'class': 'vexchart', 'data-chart': kind, viewBox: '0 0 ' + W + ' ' + H,
                         width: W, height: H, role: 'img'}, container);
    if (opts.title) text(svg, M.left, 16, opts.title, {'font-size': 13, 'font-weight': 'bold'});
    return svg;
  }
  function axes(svg, xs, ys, xTicks, yTicks, opts) {
    var g = el('g', {'class': 'axes'}, svg);
    yTicks.forEach(function (t) {
      var y = ys(t);
      el('line', {x1: M.left, x2: W - M.right, y1: y, y2: y, stroke: '#e4e4e4'}, g);
      text(g, M.left - 6, y + 4, fmt(t), {'text-anchor': 'end'});
    });
    xTicks.forEach(function (t) {
      var x = xs(t.v);
      el('line', {x1: x, x2: x, y1: M.top, y2: H - M.bottom, stroke: '#e4e4e4'}, g);
      // A label at the right edge ends there instead of running off the chart.
      var anchor = x > W - M.right - 24 ? 'end' : 'middle';
      text(g, anchor === 'end' ? W - 2 : x, H - M.bottom + 14, t.label, {'text-anchor': anchor});
    });
    el('rect', {x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom,
                fill: 'none', stroke: '#999'}, g);
    if (opts.xLabel) text(g, (M.left + W - M.right) / 2, H - 8, opts.xLabel, {'text-anchor': 'middle'});
    if (opts.yLabel) {
      text(g, 14, (M.top + H - M.bottom) / 2, opts.yLabel,
           {'text-anchor': 'middle', transform: 'rotate(-90 14 ' + (M.top + H - M.bottom) / 2 + ')'});
    }
  }
  function legend(svg, names) {
    var g = el('g', {'class': 'legend'}, svg);
    var x = W - M.right;
    for (var i = names.length - 1; i >= 0; --i) {
      var width = 18 + names[i].length * 6.5;
      x -= width;
      el('rect', {x: x, y: 8, width: 10, height: 10, fill: color(i)}, g);
      text(g, x + 13, 17, names[i]);
    }
  }
  function polyline(svg, pts, i, name, fmtPoint) {
    var g = el('g', {'class': 'series', 'data-series': name}, svg);
    el('polyline', {points: pts.map(function (p) { return p.x + ',' + p.y; }).join(' '),
                    fill: 'none', stroke: color(i), 'stroke-width': 1.8}, g);
    pts.forEach(function (p) {
      var c = el('circle', {cx: p.x, cy: p.y, r: p.max ? 4 : 2.2, fill: color(i)}, g);
      tip(c, name + ': ' + fmtPoint(p));
    });
  }
  function empty(svg, message) {
    text(svg, W / 2, H / 2, message, {'text-anchor': 'middle', fill: '#777'});
  }

  function percentiles(container, series, opts) {
    opts = opts || {};
    var svg = frame(container, 'percentiles', opts);
    var pos = function (p) { return Math.log10(1 / (1 - p / 100)); };
    var xMax = 1, yMax = 0, nonEmpty = false;
    series.forEach(function (s) {
      s.points.forEach(function (pt) {
        if (!pt.max) xMax = Math.max(xMax, Math.ceil(pos(pt.p) - 1e-9));
        yMax = Math.max(yMax, pt.v);
        nonEmpty = true;
      });
    });
    if (!nonEmpty) { empty(svg, 'no latency data'); return svg; }
    var xs = function (v) { return M.left + v / xMax * (W - M.left - M.right); };
    var yt = ticks(0, yMax * 1.05, 5);
    var yTop = yt[yt.length - 1] || 1;
    var ys = function (v) { return H - M.bottom - v / yTop * (H - M.top - M.bottom); };
    var xt = [];
    for (var d = 0; d <= xMax; ++d) {
      var label = d === 0 ? '0%' : (100 - Math.pow(10, 2 - d)).toFixed(Math.max(0, d - 2)) + '%';
      xt.push({v: d, label: label});
    }
    axes(svg, xs, ys, xt, yt, {xLabel: opts.xLabel || 'percentile',
                                yLabel: opts.yLabel || 'latency (ms)'});
    series.forEach(function (s, i) {
      var last = 0;
      var pts = s.points.map(function (pt) {
        var x = pt.max ? Math.max(last, 0) : pos(pt.p);
        last = x;
        return {x: xs(Math.min(x, xMax)), y: ys(pt.v), p: pt.p, v: pt.v, max: !!pt.max};
      });
      polyline(svg, pts, i, s.name, function (p) {
        return (p.max ? 'max' : 'p' + p.p.toPrecision(6).replace(/\.?0+$/, '')) + ' ' +
               fmt(p.v) + ' ms';
      });
    });
    legend(svg, series.map(function (s) { return s.name; }));
    return svg;
  }

  function lines(container, series, opts) {
    opts = opts || {};
    var svg = frame(container, 'lines', opts);
    var xLo = Infinity, xHi = -Infinity, yHi = 0;
    series.forEach(function (s) {
      s.points.forEach(function (p) {
        xLo = Math.min(xLo, p[0]); xHi = Math.max(xHi, p[0]); yHi = Math.max(yHi, p[1]);
      });
    });
    if (!isFinite(xLo)) { empty(svg, 'no intervals'); return svg; }
    if (xHi <= xLo) xHi = xLo + 1;
    var xs = function (v) { return M.left + (v - xLo) / (xHi - xLo) * (W - M.left - M.right); };
    var yt = ticks(0, yHi * 1.05 || 1, 5);
    var yTop = yt[yt.length - 1] || 1;
    var ys = function (v) { return H - M.bottom - v / yTop * (H - M.top - M.bottom); };
    var xt = ticks(xLo, xHi, 8).filter(function (v) { return v <= xHi; })
        .map(function (v) { return {v: v, label: fmt(v)}; });
    axes(svg, xs, ys, xt, yt, opts);
    series.forEach(function (s, i) {
      var pts = s.points.map(function (p) { return {x: xs(p[0]), y: ys(p[1]), t: p[0], v: p[1]}; });
      polyline(svg, pts, i, s.name, function (p) {
        return fmt(p.v) + (opts.unit ? ' ' + opts.unit : '') + ' at ' + fmt(p.t) +
               (opts.xUnit ? ' ' + opts.xUnit : '');
      });
    });
    legend(svg, series.map(function (s) { return s.name; }));
    return svg;
  }

  function bars(container, items, opts) {
    opts = opts || {};
    var svg = frame(container, 'bars', opts);
    if (!items.length) { empty(svg, 'no data'); return svg; }
    var vMax = 0;
    items.forEach(function (it) { if (it.value !== null && isFinite(it.value)) vMax = Math.max(vMax, it.value); });
    var yt = ticks(0, vMax * 1.1 || 1, 5);
    var yTop = yt[yt.length - 1] || 1;
    var ys = function (v) { return H - M.bottom - v / yTop * (H - M.top - M.bottom); };
    var slot = (W - M.left - M.right) / items.length;
    var xt = items.map(function (it, i) { return {v: i, label: it.name}; });
    axes(svg, function (i) { return M.left + slot * (i + 0.5); }, ys, xt, yt, opts);
    items.forEach(function (it, i) {
      var g = el('g', {'class': 'bar', 'data-series': it.name}, svg);
      var x = M.left + slot * i + slot * 0.2;
      var label = it.text || (fmt(it.value) + (opts.unit ? ' ' + opts.unit : ''));
      if (it.value === null || !isFinite(it.value)) {
        text(g, x + slot * 0.3, H - M.bottom - 6, 'n/a', {'text-anchor': 'middle', fill: '#777'});
        return;
      }
      var r = el('rect', {x: x, y: ys(it.value), width: slot * 0.6,
                          height: Math.max(0, H - M.bottom - ys(it.value)), fill: color(i)}, g);
      tip(r, it.name + ': ' + label);
      text(g, x + slot * 0.3, ys(it.value) - 4, label, {'text-anchor': 'middle'});
    });
    return svg;
  }

  global.VexCharts = {percentiles: percentiles, lines: lines, bars: bars, colors: COLORS,
                      format: fmt};
})(typeof window !== 'undefined' ? window : this);

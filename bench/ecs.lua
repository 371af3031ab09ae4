-- ecs.lua - wrk script: ECS JSON 1.1 requests as an SDK sends them.
--
-- Every request is POST / with X-Amz-Target, the JSON 1.1 content type, an
-- X-Amz-Date and a SigV4-looking Authorization header whose credential scope
-- names the region (neither ecsd nor moto checks the signature; both read the
-- scope). The requests come from the file named by $BENCH_REQUESTS, one per
-- line: "Operation<TAB>JSON body". Each connection cycles through them in
-- order, so a file with several lines is a mixed workload.
--
-- At the end it prints one line for the driver (bench/run.py):
--   BENCH {"requests":N,"p50_us":..,"p99_us":..,...}
-- With $BENCH_MAX set (meant for one thread, one connection) the script
-- times each request itself and, after that many answers, prints the BENCH
-- line and exits: a bounded number of writes, so a scale level is not
-- changed by measuring it (wrk alone would run for all of -d).
-- Non-200 answers are counted and the first one is shown, so a scenario the
-- server cannot answer is reported as such instead of timed.

local TARGET = "AmazonEC2ContainerServiceV20141113."
local REGION = os.getenv("BENCH_REGION") or "us-east-1"
local AUTH = "AWS4-HMAC-SHA256 Credential=AKIDBENCHMARK0000/20240101/" ..
	REGION .. "/ecs/aws4_request, " ..
	"SignedHeaders=content-type;host;x-amz-date;x-amz-target, " ..
	"Signature=9d3f1c0b5e6a7d8c9b0a1f2e3d4c5b6a7980f1e2d3c4b5a69788f9e0d1c2b3a4"

local threads = {}
local reqs = {}
local n = 0
local idx = 0
local answers = 0
local max_answers = tonumber(os.getenv("BENCH_MAX") or "")
-- Globals, not locals: done() runs in wrk's main Lua state and reads them
-- from each thread's state with thread:get, which sees globals only.
errors = 0
first_error = ""
lat = {}
local sent_at = nil
local first_at = nil
local now_us = nil
-- Self-timing ($BENCH_MAX, or $BENCH_SELFTIME with one connection per
-- thread): every answer's latency is measured here, from request() to
-- response(), and the percentiles are taken over those answers. wrk's own
-- latency figures do not count answers one by one: with 5 stalls of 150 ms
-- in 64,533 answers on one connection, wrk printed a p99 of 137 ms.
if max_answers ~= nil or os.getenv("BENCH_SELFTIME") ~= nil then
	local ffi = require("ffi")
	ffi.cdef[[
		typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
		int clock_gettime(int clk, bench_timespec *ts);
	]]
	local ts = ffi.new("bench_timespec")
	now_us = function()
		ffi.C.clock_gettime(1, ts)     -- CLOCK_MONOTONIC
		return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
	end
end

local function jstr(s)
	s = s:gsub("\\", "\\\\"):gsub('"', '\\"'):gsub("[%c]", " ")
	return '"' .. s .. '"'
end

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	local path = os.getenv("BENCH_REQUESTS")
	if path == nil then
		error("BENCH_REQUESTS is not set")
	end
	for line in io.lines(path) do
		local op, body = line:match("^([^\t]+)\t(.*)$")
		if op ~= nil then
			n = n + 1
			reqs[n] = wrk.format("POST", "/", {
				["Host"] = wrk.host .. ":" .. tostring(wrk.port),
				["Content-Type"] = "application/x-amz-json-1.1",
				["X-Amz-Target"] = TARGET .. op,
				["X-Amz-Date"] = "20240101T000000Z",
				["Authorization"] = AUTH,
				["User-Agent"] = "ecsd-bench/1 (wrk)",
			}, body)
		end
	end
	if n == 0 then
		error("no requests in " .. path)
	end
end

function request()
	idx = idx % n + 1
	if now_us ~= nil then
		sent_at = now_us()
		first_at = first_at or sent_at
	end
	return reqs[idx]
end

-- p50, p90, p99, max and mean of a list of latencies (sorted in place).
local function spread(l)
	table.sort(l)
	local function p(q)
		return l[math.max(1, math.min(#l, math.floor(q / 100 * #l + 0.5)))]
	end
	local sum = 0
	for _, v in ipairs(l) do
		sum = sum + v
	end
	return p(50), p(90), p(99), l[#l], sum / #l
end

local function bounded_done()
	local t = now_us()
	local p50, p90, p99, max, mean = spread(lat)
	io.write(string.format('BENCH {"requests":%d,"duration_us":%d,' ..
		'"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
		'"non200":%d,"socket_errors":0,"timeouts":0,"first_error":%s}\n',
		#lat, t - first_at, p50, p90, p99, max, mean,
		errors, jstr(first_error)))
	io.flush()
	os.exit(0)
end

function response(status, headers, body)
	answers = answers + 1
	if now_us ~= nil and sent_at ~= nil then
		lat[#lat + 1] = now_us() - sent_at
	end
	if status ~= 200 then
		errors = errors + 1
		if first_error == "" then
			first_error = tostring(status) .. " " .. (body or ""):sub(1, 300)
		end
	end
	if max_answers ~= nil and answers >= max_answers then
		bounded_done()
	end
end


function done(summary, latency, requests)
	local errs, first = 0, ""
	for _, t in ipairs(threads) do
		errs = errs + (t:get("errors") or 0)
		local fe = t:get("first_error") or ""
		if first == "" then
			first = fe
		end
	end
	local e = summary.errors
	local p50, p90, p99, max, mean = latency:percentile(50),
		latency:percentile(90), latency:percentile(99), latency.max,
		latency.mean
	local all, timing = {}, "wrk"
	if now_us ~= nil then
		for _, t in ipairs(threads) do
			for _, v in ipairs(t:get("lat") or {}) do
				all[#all + 1] = v
			end
		end
	end
	if #all > 0 then
		p50, p90, p99, max, mean = spread(all)
		timing = "self"
	end
	io.write(string.format('BENCH {"requests":%d,"duration_us":%d,' ..
		'"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
		'"non200":%d,"socket_errors":%d,"timeouts":%d,"first_error":%s,' ..
		'"timed":"%s","timed_answers":%d}\n',
		summary.requests, summary.duration, p50, p90, p99, max, mean,
		errs, e.connect + e.read + e.write, e.timeout, jstr(first), timing,
		#all))
end

# Reelmart — `make run` to try it, `make test` to check everything against real servers.
# Both work on a fresh Debian machine: they install what is missing first.

GO          ?= go
BIN         := bin/reelmart
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOTEST      := $(GO) test -count=1 -timeout 30m
# Every recipe line that needs the test servers' addresses starts with this.
WITH_SERVICES := eval "$$(scripts/services.sh env)" &&

.PHONY: all build run test vet deps services-up services-down services-status lint fuzz bench bench-transcode bench-checkout bench-search bench-engagement bench-feed bench-chat bench-web clean help web web-deps web-lint web-test screenshots

all: build

help:
	@echo "make run            build and serve on the embedded defaults (SQLite, local disk, Bleve) at http://127.0.0.1:8080, with demo content"
	@echo "make test           install what is missing, start PostgreSQL, MinIO and Elasticsearch, vet, run every test"
	@echo "make build          write $(BIN)"
	@echo "make services-up    start the test servers (scripts/services.sh up); services-down stops them"
	@echo "make lint           no tracked file over 2 MiB, gofmt, go vet, staticcheck, shellcheck, web/dist rebuilt from the lockfile and unchanged"
	@echo "make web            rebuild the web app into web/dist (commit the result)"
	@echo "make fuzz           run each fuzz target for FUZZTIME (default 30s)"
	@echo "make bench          run the benchmarks"

# Debian packages for cgo (FFmpeg 5.1 dev libraries), media tests (ffmpeg CLI) and browser tests (chromium).
deps:
	scripts/deps.sh

build: deps
	$(GO) build -trimpath -o $(BIN) ./cmd/reelmart

# The embedded defaults open nothing external: data lives in ./data. An
# empty database gets the demo world (REELMART_DEMO=off to start empty).
run: build
	REELMART_DEMO=$${REELMART_DEMO:-on} ./$(BIN) serve

services-up:
	scripts/services.sh up

services-down:
	scripts/services.sh down

services-status:
	scripts/services.sh status

vet: deps
	$(GO) vet ./...

# Every package's tests, with the race detector, against the real servers.
# An integration test whose server is missing fails and says how to start it.
test: deps services-up vet
	$(WITH_SERVICES) $(GOTEST) -race ./...
	$(MAKE) web-test

lint: vet web-lint
	scripts/check-sizes.sh
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run $(STATICCHECK) ./...
	@command -v shellcheck >/dev/null || (apt-get update -qq && apt-get install -y -qq shellcheck >/dev/null)
	shellcheck scripts/*.sh .ci/run

FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeJSON$$' -fuzztime $(FUZZTIME) ./api
	$(GO) test -run '^$$' -fuzz '^FuzzStripMetadata$$' -fuzztime $(FUZZTIME) ./platform/imaging

bench: services-up
	$(WITH_SERVICES) $(GO) test -run '^$$' -bench . -benchmem ./...

# Reelmart's transcode against one ffmpeg CLI command on the same clip, same ladder, same run.
bench-transcode: deps
	$(GO) test -run '^$$' -bench '^BenchmarkTranscode' -benchtime 1x -timeout 30m ./media/transcode

# Order placement on the real PostgreSQL (32 clients; one hot SKU, 1,000 SKUs) against the bare
# conditional UPDATE through pgx, in the same run.
bench-checkout: services-up
	$(WITH_SERVICES) $(GO) test -run '^$$' -bench '^BenchmarkCheckout' -benchtime 10000x -count 3 -timeout 30m ./checkout

# Candidate queries (filtered and sorted; a few thousand ids excluded and boosted; four at once
# against one multi-search) over 20,000 documents, on Bleve and on the real Elasticsearch.
bench-search: services-up
	$(WITH_SERVICES) $(GO) test -run '^$$' -bench '^BenchmarkCandidates' -benchtime 100x -count 3 -timeout 30m ./platform/search/bleve ./platform/search/elastic

# Storing engagement events and aggregating them, on SQLite and the real PostgreSQL, against the
# bare INSERT of the same rows in the same run.
bench-engagement: services-up
	$(WITH_SERVICES) $(GO) test -run '^$$' -bench '^BenchmarkEngagement$$' -benchtime 3s -count 3 -timeout 30m ./feed/engagement

# GET /feed at a fixed rate (vegeta) on Elasticsearch with 100,000 videos and 10,000 viewers'
# profiles, against the same candidate queries sent straight to Elasticsearch in the same run;
# then the same feed run on Bleve. RATE, DURATION, VIDEOS, VIEWERS and ES_HEAP override the defaults.
bench-feed: services-up
	scripts/bench-feed.sh

# Chat on the real PostgreSQL: 2,000 WebSocket clients (a child process) in 1,000 threads; latency at
# 2,000 messages/s, the highest rate within p99 100 ms against the storage and echo-server ceilings,
# and server memory per idle socket, in one run.
bench-chat: services-up
	$(WITH_SERVICES) $(GO) test -run '^$$' -bench '^BenchmarkChat$$' -benchtime 1x -timeout 30m ./bench/chat

# The web app (web/): its Node dependencies come only from the lockfile, and
# no tool may download a browser (the tests drive Debian's /usr/bin/chromium).
NPM := cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm

web/node_modules/.package-lock.json: web/package-lock.json web/package.json
	@scripts/node-check.sh
	$(NPM) ci --no-audit --no-fund

web-deps: web/node_modules/.package-lock.json

# Rebuild web/dist (and the API types generated from api/openapi.yaml).
web: web-deps
	$(NPM) run build

# The committed build must be what the lockfile and the sources give.
web-lint: web
	@out=$$(git status --porcelain -- web/dist web/src/api/schema.d.ts); if [ -n "$$out" ]; then \
		echo "web/dist or web/src/api/schema.d.ts differs from a fresh build: run make web and commit:"; echo "$$out"; exit 1; fi

# Unit tests of the app's logic, then the browser tests against a real `reelmart serve`.
web-test: web-deps deps
	$(NPM) test
	$(NPM) run e2e

# The browser tests again, writing the README's screenshots into docs/screenshots.
screenshots: export REELMART_SCREENSHOTS = update
screenshots: web-deps deps
	$(NPM) run e2e

# Navigation to first frame in Chromium: the app beside a bare hls.js page, same stream, same run.
bench-web: web-deps deps
	$(NPM) run bench

clean:
	rm -rf bin

// Command chatload measures the chat of chelseru-go: how many message
// deliveries a second a room sustains and with what latency (fanout),
// what an idle socket costs the server (idle), and whether connecting and
// disconnecting leaks (churn). It prints a short summary, or JSON with
// -json, so that anyone can rerun the figures.
//
//	go run ./examples/chatload -scenario fanout -rooms 1 -subs 100 -pubs 10 -size 128 -duration 10s
//	go run ./examples/chatload -scenario idle -sockets 5000
//	go run ./examples/chatload -scenario churn -cycles 10000
//	go run ./examples/chatload -h
//
// # What is measured
//
// By default chatload starts the server in its own process, built as
// examples/server builds it: a SQLite file in a temporary directory (every
// message is stored before it is delivered), sessions, auth, the chat
// service with the broker of -broker (memory, or redis://host:port/db),
// mounted under /api/ by httpx.Router and served by a real net/http server
// on 127.0.0.1:0, so that sockets go over loopback TCP as a real client's
// do. The per-socket rate limit is off (as examples/server's -rate-limits
// off), access tokens live an hour, and the SMS codes are recorded in
// memory (an smstest.Recorder) for the setup to read.
//
// The setup goes through the real API, concurrently: each user logs in
// (otp/send/, then authenticate/ with the code), the first member of each
// room creates it as a group room (POST chat/chatrooms/ with the users;
// past 1000, the rest join through members/), and every socket opens
// chat/{room_id}/?token=.
//
// The clients run in a child process: the same program, re-executed with
// -clients-only, which reads its plan (addresses and tokens) from stdin.
// So the server's process holds the server alone, and its heap,
// goroutines, CPU time and -cpuprofile are the server's, not the load
// generator's (which shares the machine's cores, and whose CPU time is
// reported beside the server's). -clients same runs them in this process
// instead (quicker to debug; the server figures then include the
// clients').
//
// # Scenarios
//
// fanout: -rooms rooms, each with -subs subscriber and -pubs publisher
// sockets (one user each). Every publisher sends -size-byte messages
// closed-loop: the next one once the previous came back on its own socket
// (matched by client_id). The send time is written into the message text,
// and every socket that receives a message records its send-to-receive
// latency in a histogram of its own (merged at the end; no sampling, no
// lock, no allocation per frame). After -warmup, messages sent during
// -duration count: published, deliveries (message frames of those at
// every socket, publishers' own included), deliveries/s, the latency
// percentiles, the server's CPU and allocations per delivery, and every
// socket that closed unexpectedly, with its close code.
//
// idle: -sockets sockets spread over -rooms rooms (10 by default, for
// idle) that do nothing. The server process is measured after runtime.GC
// before the clients start and once every socket is served and the
// server is quiet: heap in use (HeapInuse), goroutine stacks (StackInuse)
// and goroutines, each divided by the sockets. The clients live in the
// child process, so nothing of theirs is counted (their own cost is shown
// apart); the TCP buffers in the kernel are nobody's heap and are not
// counted either.
//
// churn: -cycles connect/close cycles, -parallel at a time, each a new
// socket closed with 1000; then the server's goroutine count, after a
// settle wait, against the count before.
//
// # A running server
//
// -url http://host:port/api/ loads a running examples/server instead (run
// it with -rate-limits off). Logging in needs its codes, which its
// console provider writes to its log: -codes-from FILE reads the lines
// `to=0912… text="Your code: NNNN"` as the log grows:
//
//	go run ./examples/server -rate-limits off 2> /tmp/server.log &
//	go run ./examples/chatload -url http://127.0.0.1:8000/api/ -codes-from /tmp/server.log
//
// fanout and churn then report what the clients see (and, with
// -server-pid, the server's CPU time from /proc); idle needs the server in
// this process and is refused. The in-process mode is the one measured
// and reported.
//
// # Centrifugo beside it
//
// -target centrifugo -url ws://127.0.0.1:8000/connection/websocket runs
// the same fanout load against a Centrifugo server, speaking its JSON
// protocol: connect, subscribe to a channel of the namespace "chat" per
// room, publish commands with the same message data, publications coming
// back as pushes (several replies may share a frame, one a line). Build
// Centrifugo v6 outside the repository from the Go module proxy:
//
//	GOBIN=/tmp/cf go install github.com/centrifugal/centrifugo/v6@v6.9.1
//
// and give it this configuration (/tmp/cf/config.json): the memory engine,
// a namespace with history, recovery and presence, publishing allowed for
// subscribers, and connection tokens signed with an HMAC secret that
// chatload signs too (-centrifugo-secret):
//
//	{
//	  "client": {
//	    "token": {"hmac_secret_key": "chatload-secret-for-benchmarks-only-0123"},
//	    "allowed_origins": ["*"]
//	  },
//	  "engine": {"type": "memory"},
//	  "channel": {
//	    "namespaces": [{
//	      "name": "chat",
//	      "history_size": 100,
//	      "history_ttl": "300s",
//	      "force_recovery": true,
//	      "presence": true,
//	      "allow_subscribe_for_client": true,
//	      "allow_publish_for_subscriber": true
//	    }]
//	  },
//	  "log": {"level": "warn"}
//	}
//
// then run both:
//
//	/tmp/cf/centrifugo -c /tmp/cf/config.json &
//	go run ./examples/chatload -target centrifugo -url ws://127.0.0.1:8000/connection/websocket \
//	    -centrifugo-secret chatload-secret-for-benchmarks-only-0123 -server-pid $! \
//	    -rooms 1 -subs 100 -pubs 10 -size 128
//
// (Without a token, "client": {"insecure": true} lets anonymous clients
// connect, subscribe and publish.) Centrifugo keeps its history in memory
// and stores nothing else; chelseru-go stores every message in SQLite
// before delivering it, so the comparison is of the whole path, not of
// equal work.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

func main() {
	if os.Getenv(childEnv) == "1" || (len(os.Args) > 1 && os.Args[1] == "-clients-only") {
		os.Exit(childMain())
	}
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "chatload:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := run(ctx, o, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload:", err)
		os.Exit(1)
	}
	if o.json {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(res)
		return
	}
	res.print(os.Stdout)
}

type options struct {
	scenario, target, url, codesFrom, broker string
	rooms, subs, pubs, size                  int
	duration, warmup, ackTimeout, settle     time.Duration
	presenceWait                             time.Duration
	sockets, cycles, parallel                int
	sendQueue                                int
	clients                                  string
	setupParallel, dialParallel              int
	accessLifetime                           time.Duration
	json                                     bool
	cpuprofile, memprofile, blockprofile     string
	serverPID                                int
	cfSecret, cfNamespace                    string
}

func parseFlags(args []string, out io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("chatload", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.scenario, "scenario", "fanout", "fanout, idle or churn")
	fs.StringVar(&o.target, "target", "chelseru", "chelseru, or centrifugo (fanout only; needs -url)")
	fs.StringVar(&o.url, "url", "", "a running server: http://host:port/api/ (chelseru) or ws://host:port/connection/websocket (centrifugo); empty: start the chat server in this process")
	fs.StringVar(&o.codesFrom, "codes-from", "", "with -url: the server's log, where its console SMS provider writes the codes")
	fs.StringVar(&o.broker, "broker", "memory", "in-process server's chat broker: memory or redis://host:port/db")
	fs.IntVar(&o.rooms, "rooms", 1, "rooms (idle: 10 unless given)")
	fs.IntVar(&o.subs, "subs", 100, "fanout: subscriber sockets per room")
	fs.IntVar(&o.pubs, "pubs", 10, "fanout: publisher sockets per room")
	fs.IntVar(&o.size, "size", 128, "fanout: message text size in bytes (at least 20)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "fanout: measured time")
	fs.DurationVar(&o.warmup, "warmup", 2*time.Second, "fanout: load before the measured time")
	fs.DurationVar(&o.ackTimeout, "ack-timeout", 10*time.Second, "fanout: how long a publisher waits for its message to come back")
	fs.IntVar(&o.sockets, "sockets", 5000, "idle: sockets")
	fs.IntVar(&o.cycles, "cycles", 10000, "churn: connect/close cycles")
	fs.IntVar(&o.parallel, "parallel", 50, "churn: cycles at a time (one user each)")
	fs.DurationVar(&o.presenceWait, "presence-wait", 5*time.Second, "idle: wait this long after the sockets closed before asking the rooms' presence/ who is still there")
	fs.DurationVar(&o.settle, "settle", 15*time.Second, "idle, churn: longest wait for the server's goroutines to settle")
	fs.IntVar(&o.sendQueue, "send-queue", 0, "in-process server's chat SendQueue (0: the default, 256)")
	fs.StringVar(&o.clients, "clients", "child", `in-process server: run the clients in a child process ("child") or in this one ("same")`)
	fs.IntVar(&o.setupParallel, "setup-parallel", 32, "logins and rooms made at a time during the setup")
	fs.IntVar(&o.dialParallel, "dial-parallel", 64, "sockets dialled at a time")
	fs.DurationVar(&o.accessLifetime, "access-lifetime", time.Hour, "in-process server's access token lifetime (sockets close with 4001 when it ends)")
	fs.BoolVar(&o.json, "json", false, "print the results as JSON")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the in-process server to this file (fanout: the measured time; else the clients' phase)")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a heap profile of the in-process server to this file (idle: with every socket open)")
	fs.StringVar(&o.blockprofile, "blockprofile", "", "write a block profile (time goroutines waited on channels and locks) of the in-process server to this file, for the same time as -cpuprofile")
	fs.IntVar(&o.serverPID, "server-pid", 0, "with -url: the server's process id, to report its CPU time (Linux /proc)")
	fs.StringVar(&o.cfSecret, "centrifugo-secret", "", "centrifugo: sign connection tokens with this HMAC secret (client.token.hmac_secret_key); empty: connect without a token")
	fs.StringVar(&o.cfNamespace, "centrifugo-namespace", "chat", "centrifugo: the channels' namespace")
	fs.Bool("clients-only", false, "internal: run the client side of a plan read from stdin")
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: chatload [flags]\n\nMeasures chelseru-go's chat (or Centrifugo's) under load; see the package documentation.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if o.scenario == "idle" && !given["rooms"] {
		o.rooms = 10
	}
	switch {
	case o.scenario != "fanout" && o.scenario != "idle" && o.scenario != "churn":
		return o, fmt.Errorf("-scenario %q: want fanout, idle or churn", o.scenario)
	case o.target != "chelseru" && o.target != "centrifugo":
		return o, fmt.Errorf("-target %q: want chelseru or centrifugo", o.target)
	case o.target == "centrifugo" && (o.url == "" || o.scenario != "fanout"):
		return o, errors.New("-target centrifugo runs the fanout scenario against -url ws://host:port/connection/websocket")
	case o.target == "chelseru" && o.url != "" && o.scenario == "idle":
		return o, errors.New("idle measures the server's memory, which needs the server in this process: drop -url")
	case o.target == "chelseru" && o.url != "" && o.codesFrom == "":
		return o, errors.New("-url needs -codes-from, the server's log with the SMS codes")
	case o.rooms < 1, o.subs < 0, o.pubs < 1 && o.scenario == "fanout", o.sockets < 1, o.cycles < 1, o.parallel < 1,
		o.setupParallel < 1, o.dialParallel < 1:
		return o, errors.New("counts must be positive")
	case o.clients != "child" && o.clients != "same":
		return o, fmt.Errorf("-clients %q: want child or same", o.clients)
	}
	o.size = max(o.size, tsDigits+1)
	if o.url != "" && o.target == "chelseru" && !strings.HasSuffix(o.url, "/") {
		o.url += "/"
	}
	return o, nil
}

// result is everything a run reports.
type result struct {
	Scenario  string         `json:"scenario"`
	Target    string         `json:"target"`
	Setup     string         `json:"setup"` // what was measured, in words
	Params    params         `json:"params"`
	Prep      prep           `json:"prep"`
	Client    clientResult   `json:"client"`
	Fanout    *fanoutFigures `json:"fanout,omitempty"`
	Idle      *idleFigures   `json:"idle,omitempty"`
	Churn     *churnFigures  `json:"churn,omitempty"`
	ServerLog []logCount     `json:"server_log,omitempty"` // the in-process server's warnings and errors, counted
	Notes     []string       `json:"notes,omitempty"`
}

type params struct {
	Rooms    int    `json:"rooms"`
	Subs     int    `json:"subs,omitempty"`
	Pubs     int    `json:"pubs,omitempty"`
	Size     int    `json:"size,omitempty"`
	Warmup   string `json:"warmup,omitempty"`
	Duration string `json:"duration,omitempty"`
	Sockets  int    `json:"sockets,omitempty"`
	Cycles   int    `json:"cycles,omitempty"`
	Parallel int    `json:"parallel,omitempty"`
	Broker   string `json:"broker,omitempty"`
	Clients  string `json:"clients"`
}

type prep struct {
	Users   int     `json:"users"`
	Rooms   int     `json:"rooms"`
	Seconds float64 `json:"seconds"`
}

func run(ctx context.Context, o options, log io.Writer) (*result, error) {
	res := &result{Scenario: o.scenario, Target: o.target, Params: params{Rooms: o.rooms, Clients: o.clients}}
	switch o.scenario {
	case "fanout":
		res.Params.Subs, res.Params.Pubs, res.Params.Size = o.subs, o.pubs, o.size
		res.Params.Warmup, res.Params.Duration = o.warmup.String(), o.duration.String()
	case "idle":
		res.Params.Sockets = o.sockets
	case "churn":
		res.Params.Cycles, res.Params.Parallel = o.cycles, o.parallel
	}
	if o.target == "centrifugo" {
		res.Params.Clients = "same"
		res.Setup = "Centrifugo at " + o.url + " (another process); clients in this process"
		return res, runCentrifugo(ctx, o, res, log)
	}

	var srv *server
	var base string
	var codes codeSource
	child := o.clients == "child"
	if o.url == "" {
		fmt.Fprintf(log, "chatload: starting the chat server (SQLite, %s broker)\n", o.broker)
		var err error
		srv, err = startServer(serverConfig{broker: o.broker, sendQueue: o.sendQueue, accessLifetime: o.accessLifetime})
		if err != nil {
			return nil, err
		}
		defer srv.close()
		base, codes = srv.url, srv
		res.Params.Broker = o.broker
		if o.broker != "memory" {
			res.Notes = append(res.Notes, "the Redis server is another process: its CPU is not in the server figures")
		}
		where := "a child process"
		if !child {
			where = "this same process (server figures include them)"
		}
		res.Setup = fmt.Sprintf("chat server in this process (SQLite file, every message stored; %s broker; rate limit off) on %s over loopback TCP; clients in %s", o.broker, strings.TrimSuffix(base, "api/"), where)
	} else {
		lc, err := openLogCodes(o.codesFrom)
		if err != nil {
			return nil, err
		}
		base, codes = o.url, lc
		child = false
		res.Params.Clients = "same"
		res.Setup = "chat server at " + o.url + " (another process); clients in this process"
	}
	a := newAPI(base, codes, o.setupParallel)
	wsBase := "ws" + strings.TrimPrefix(base, "http")

	// Setup: users, rooms, the plan.
	t0 := time.Now()
	var perRoom int
	switch o.scenario {
	case "fanout":
		perRoom = o.subs + o.pubs
	case "idle":
		perRoom = (o.sockets + o.rooms - 1) / o.rooms
	case "churn":
		perRoom = o.parallel
		o.rooms = 1
		res.Params.Rooms = 1
	}
	total := perRoom * o.rooms
	if o.scenario == "idle" {
		total = o.sockets
	}
	fmt.Fprintf(log, "chatload: logging %d users in and making %d rooms\n", total, o.rooms)
	users, err := a.users(ctx, total, o.setupParallel)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	groups := make([][]user, 0, o.rooms)
	for i := 0; i < len(users); i += perRoom {
		groups = append(groups, users[i:min(i+perRoom, len(users))])
	}
	roomIDs := make([]int64, len(groups))
	err = forEach(ctx, len(groups), o.setupParallel, func(ctx context.Context, i int) error {
		id, err := a.groupRoom(ctx, fmt.Sprintf("chatload %d", i), groups[i])
		roomIDs[i] = id
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	a.done()
	res.Prep = prep{Users: len(users), Rooms: len(groups), Seconds: time.Since(t0).Seconds()}
	p := plan{Scenario: o.scenario, Target: "chelseru", URL: wsBase, Size: o.size, Warmup: o.warmup, Duration: o.duration,
		AckTimeout: o.ackTimeout, DialParallel: o.dialParallel, Cycles: o.cycles}
	for g, members := range groups {
		for i, u := range members {
			p.Sockets = append(p.Sockets, sockPlan{Room: roomIDs[g], Group: g, Token: u.token, Pub: o.scenario == "fanout" && i < o.pubs})
		}
	}

	switch o.scenario {
	case "fanout":
		err = runFanoutScenario(o, res, p, srv, child, log)
	case "idle":
		present := func(ctx context.Context) (int, error) {
			n := 0
			for g, members := range groups {
				var users []struct{}
				if err := a.call(ctx, "GET", fmt.Sprintf("chat/chatrooms/%d/presence/", roomIDs[g]), members[0].token, nil, &users); err != nil {
					return n, err
				}
				n += len(users)
			}
			a.done()
			return n, nil
		}
		err = runIdleScenario(o, res, p, srv, child, log, present)
	default:
		err = runChurnScenario(o, res, p, srv, child, log)
	}
	if srv != nil {
		res.ServerLog = srv.log.summary()
	}
	if res.Client.Closes == nil {
		res.Client.Closes = []closeInfo{}
	}
	return res, err
}

// profile writes a CPU profile, and a block profile, between start and
// stop when their paths are set.
type profile struct {
	path, block string
	f           *os.File
	blocking    bool
}

func (p *profile) start() {
	if p.block != "" {
		runtime.SetBlockProfileRate(100_000) // about one blocking event in each 100 µs blocked
		p.blocking = true
	}
	if p.path == "" {
		return
	}
	f, err := os.Create(p.path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload: -cpuprofile:", err)
		return
	}
	p.f = f
}

func (p *profile) stop() {
	if p.blocking {
		p.blocking = false
		f, err := os.Create(p.block)
		if err == nil {
			err = pprof.Lookup("block").WriteTo(f, 0)
			_ = f.Close()
		}
		runtime.SetBlockProfileRate(0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "chatload: -blockprofile:", err)
		}
	}
	if p.f == nil {
		return
	}
	pprof.StopCPUProfile()
	_ = p.f.Close()
	p.f = nil
}

func writeHeapProfile(path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		_ = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload: -memprofile:", err)
	}
}

func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

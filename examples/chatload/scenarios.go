package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"
)

// fanoutFigures are the fanout's results.
type fanoutFigures struct {
	Published     int64   `json:"published"`
	PublishedPerS float64 `json:"published_per_s"`
	Deliveries    int64   `json:"deliveries"`
	DeliveriesPS  float64 `json:"deliveries_per_s"`
	Expected      int64   `json:"expected_deliveries"`
	Missing       int64   `json:"missing_deliveries"`
	Latency       latency `json:"latency"`
	AckTimeouts   int64   `json:"ack_timeouts"`
	// Messages per WebSocket frame received in the window: 1 for
	// chelseru-go (one event a frame, as the contract has it); Centrifugo
	// batches its pushes into frames.
	MessagesPerFrame float64 `json:"messages_per_frame"`

	// The server process in the window (in-process server).
	ServerCPUCores     float64 `json:"server_cpu_cores,omitempty"`
	ServerBytesPerDel  float64 `json:"server_alloc_bytes_per_delivery,omitempty"`
	ServerAllocsPerDel float64 `json:"server_allocs_per_delivery,omitempty"`
	ServerGCs          uint32  `json:"server_gcs,omitempty"`
	ServerGoroutines   int     `json:"server_goroutines,omitempty"`
	ServerHeapInuse    uint64  `json:"server_heap_inuse,omitempty"`
	// An external server's CPU (-server-pid), from /proc.
	ExternalCPUCores float64 `json:"external_server_cpu_cores,omitempty"`
	ClientCPUCores   float64 `json:"client_cpu_cores"`
}

// idleFigures are the idle scenario's results: the server process before
// the sockets, with them all open, and after they closed.
type idleFigures struct {
	Sockets             int       `json:"sockets"`
	Method              string    `json:"method"`
	Before              procStats `json:"before"`
	With                procStats `json:"with_sockets"`
	HeapPerSocket       float64   `json:"heap_inuse_per_socket"`
	HeapAllocPerSocket  float64   `json:"heap_alloc_per_socket"`
	StackPerSocket      float64   `json:"stack_inuse_per_socket"`
	GoroutinesPerSocket float64   `json:"goroutines_per_socket"`
	RSSPerSocket        float64   `json:"rss_per_socket"`
	ServedSockets       int64     `json:"served_sockets"`
	GoroutinesAfter     int       `json:"goroutines_after_close"`
	SettleSeconds       float64   `json:"settle_s"`
	PresentAfter        int       `json:"present_after_close"` // users presence/ still lists, summed over the rooms
	PresenceWait        string    `json:"presence_wait"`
}

type churnFigures struct {
	Cycles           int     `json:"cycles"`
	Errors           int     `json:"errors"`
	FirstError       string  `json:"first_error,omitempty"`
	Seconds          float64 `json:"seconds"`
	CyclesPerS       float64 `json:"cycles_per_s"`
	GoroutinesBefore int     `json:"goroutines_before,omitempty"`
	GoroutinesAfter  int     `json:"goroutines_after,omitempty"`
	SettleSeconds    float64 `json:"settle_s,omitempty"`
	ServedAfter      int64   `json:"served_sockets_after,omitempty"`
	ServerCPUCores   float64 `json:"server_cpu_cores,omitempty"`
	ClientCPUCores   float64 `json:"client_cpu_cores"`
}

// quietServer waits, after the setup, until the server's goroutines stop
// moving (the setup's connections closing).
func quietServer(srv *server) {
	if srv != nil {
		settle(5*time.Second, 500*time.Millisecond, 0)
	}
}

func runFanoutScenario(o options, res *result, p plan, srv *server, child bool, log io.Writer) error {
	quietServer(srv)
	var s0, s1 procStats
	var ext0, ext1 float64
	prof := &profile{path: o.cpuprofile, block: o.blockprofile}
	if srv == nil {
		prof.path, prof.block = "", ""
	}
	onEvent := func(ev string) {
		switch ev {
		case "window_start":
			fmt.Fprintf(log, "chatload: measuring for %v\n", o.duration)
			if srv != nil {
				s0 = readStats(false)
				prof.start()
			}
			if o.serverPID > 0 {
				ext0, _ = procCPU(o.serverPID)
			}
		case "window_end":
			if srv != nil {
				prof.stop()
				s1 = readStats(false)
			}
			if o.serverPID > 0 {
				ext1, _ = procCPU(o.serverPID)
			}
		}
	}
	fmt.Fprintf(log, "chatload: opening %d sockets, %v warm-up\n", len(p.Sockets), o.warmup)
	cr, err := runToEnd(p, child, onEvent, prof)
	if err != nil {
		return err
	}
	if srv != nil {
		writeHeapProfile(o.memprofile)
	}
	res.Client = cr
	f := fanoutFigures{
		Published: cr.Published, Deliveries: cr.Deliveries, Expected: cr.Expected,
		Missing: cr.Expected - cr.Deliveries, Latency: cr.Latency, AckTimeouts: cr.AckTimeouts,
		MessagesPerFrame: ratio(cr.FrameMessages, cr.Frames),
	}
	if w := cr.WindowSeconds; w > 0 {
		f.PublishedPerS = float64(cr.Published) / w
		f.DeliveriesPS = float64(cr.Deliveries) / w
		f.ClientCPUCores = cr.CPUSeconds / w
		if srv != nil {
			f.ServerCPUCores = (s1.CPU - s0.CPU) / w
		}
		if o.serverPID > 0 {
			f.ExternalCPUCores = (ext1 - ext0) / w
		}
	}
	if srv != nil && cr.Deliveries > 0 {
		f.ServerBytesPerDel = float64(s1.TotalAlloc-s0.TotalAlloc) / float64(cr.Deliveries)
		f.ServerAllocsPerDel = float64(s1.Mallocs-s0.Mallocs) / float64(cr.Deliveries)
		f.ServerGCs = s1.NumGC - s0.NumGC
		f.ServerGoroutines = s1.Goroutines
		f.ServerHeapInuse = s1.HeapInuse
	}
	if !child && srv != nil {
		res.Notes = append(res.Notes, "the clients ran in the server's process: its CPU, allocations and goroutines include theirs")
	}
	res.Fanout = &f
	return nil
}

func runIdleScenario(o options, res *result, p plan, srv *server, child bool, log io.Writer, present func(context.Context) (int, error)) error {
	quietServer(srv)
	fig := &idleFigures{Sockets: len(p.Sockets)}
	if child {
		fig.Method = "server process measured alone: the clients ran in a child process; runtime.GC twice before each reading; figures are (with sockets − before) / sockets"
	} else {
		fig.Method = "clients in the server's process (-clients same): the figures include the clients' own cost"
	}
	fig.Before = readStats(true)
	prof := &profile{path: o.cpuprofile, block: o.blockprofile}
	prof.start()
	ready := make(chan struct{})
	fmt.Fprintf(log, "chatload: opening %d idle sockets in %d rooms\n", len(p.Sockets), o.rooms)
	cl, err := startClients(p, child, func(ev string) {
		if ev == "ready" {
			close(ready)
		}
	})
	if err != nil {
		return err
	}
	failed := make(chan struct{})
	var cr clientResult
	var cerr error
	go func() {
		cr, cerr = cl.wait()
		close(failed)
	}()
	select {
	case <-ready:
	case <-failed:
		prof.stop()
		if cerr == nil {
			cerr = errors.New("client process ended before its sockets were open")
		}
		return cerr
	}
	prof.stop()
	// Every socket is served (joined its room) and the server is quiet.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && srv.chat.Sockets() < len(p.Sockets) {
		time.Sleep(50 * time.Millisecond)
	}
	settle(30*time.Second, time.Second, 0)
	fig.With = readStats(true)
	fig.ServedSockets = int64(srv.chat.Sockets())
	writeHeapProfile(o.memprofile)
	if n := float64(fig.ServedSockets); n > 0 {
		fig.HeapPerSocket = (float64(fig.With.HeapInuse) - float64(fig.Before.HeapInuse)) / n
		fig.HeapAllocPerSocket = (float64(fig.With.HeapAlloc) - float64(fig.Before.HeapAlloc)) / n
		fig.StackPerSocket = (float64(fig.With.StackInuse) - float64(fig.Before.StackInuse)) / n
		fig.GoroutinesPerSocket = float64(fig.With.Goroutines-fig.Before.Goroutines) / n
		fig.RSSPerSocket = (float64(fig.With.RSS) - float64(fig.Before.RSS)) / n
	}
	fmt.Fprintln(log, "chatload: measured; closing the sockets")
	cl.proceed()
	<-failed
	if cerr != nil {
		return cerr
	}
	res.Client = cr
	t := time.Now()
	fig.GoroutinesAfter = settle(o.settle, 0, fig.Before.Goroutines)
	fig.SettleSeconds = time.Since(t).Seconds()
	res.Idle = fig
	// Every socket is gone: presence/ should list nobody.
	if o.presenceWait > 0 {
		fmt.Fprintf(log, "chatload: waiting %v before asking presence/\n", o.presenceWait)
		time.Sleep(o.presenceWait)
	}
	fig.PresenceWait = o.presenceWait.String()
	fig.PresentAfter, err = present(context.Background())
	return err
}

func runChurnScenario(o options, res *result, p plan, srv *server, child bool, log io.Writer) error {
	quietServer(srv)
	fig := &churnFigures{}
	var cpu0 float64
	if srv != nil {
		fig.GoroutinesBefore = readStats(true).Goroutines
		cpu0 = cpuSeconds()
	}
	prof := &profile{path: o.cpuprofile, block: o.blockprofile}
	if srv == nil {
		prof.path, prof.block = "", ""
	}
	prof.start()
	fmt.Fprintf(log, "chatload: %d connect/close cycles, %d at a time\n", o.cycles, len(p.Sockets))
	cr, err := runToEnd(p, child, func(string) {}, prof)
	if err != nil {
		return err
	}
	res.Client = cr
	fig.Cycles, fig.Errors, fig.FirstError, fig.Seconds = cr.Cycles, cr.CycleErrors, cr.FirstCycErr, cr.CycleSecs
	if cr.CycleSecs > 0 {
		fig.CyclesPerS = float64(cr.Cycles) / cr.CycleSecs
		fig.ClientCPUCores = cr.CPUSeconds / cr.CycleSecs
		if srv != nil {
			fig.ServerCPUCores = (cpuSeconds() - cpu0) / cr.CycleSecs
		}
	}
	if srv != nil {
		t := time.Now()
		settle(o.settle, 0, fig.GoroutinesBefore)
		fig.GoroutinesAfter = readStats(true).Goroutines
		fig.SettleSeconds = time.Since(t).Seconds()
		fig.ServedAfter = int64(srv.chat.Sockets())
		writeHeapProfile(o.memprofile)
	} else {
		res.Notes = append(res.Notes, "the server is another process: its goroutines are not seen here")
	}
	res.Churn = fig
	return nil
}

// runCentrifugo runs the fanout against a Centrifugo server.
func runCentrifugo(ctx context.Context, o options, res *result, log io.Writer) error {
	id := runID()
	p := plan{Scenario: "fanout", Target: "centrifugo", URL: o.url, Size: o.size, Warmup: o.warmup, Duration: o.duration,
		AckTimeout: o.ackTimeout, DialParallel: o.dialParallel}
	for g := range o.rooms {
		ch := fmt.Sprintf("%s:chatload-%s-%d", o.cfNamespace, id, g)
		for i := range o.subs + o.pubs {
			s := sockPlan{Group: g, Channel: ch, Pub: i < o.pubs}
			if o.cfSecret != "" {
				tok, err := centrifugoToken(o.cfSecret, fmt.Sprintf("u%d-%d", g, i), 24*time.Hour)
				if err != nil {
					return err
				}
				s.Token = tok
			}
			p.Sockets = append(p.Sockets, s)
		}
	}
	res.Prep = prep{Rooms: o.rooms}
	_ = ctx
	return runFanoutScenario(o, res, p, nil, false, log)
}

func kb(b float64) string { return fmt.Sprintf("%.1f KB", b/1024) }
func mb(b uint64) string  { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func (r *result) print(w io.Writer) {
	fmt.Fprintf(w, "chatload %s, %s\n", r.Scenario, r.Target)
	fmt.Fprintf(w, "  setup          %s\n", r.Setup)
	c := r.Client
	switch r.Scenario {
	case "fanout":
		p := r.Params
		fmt.Fprintf(w, "  load           %d room(s) × (%d subscribers + %d publishers), %d-byte messages, closed loop; %s warm-up, %s measured\n",
			p.Rooms, p.Subs, p.Pubs, p.Size, p.Warmup, p.Duration)
	case "idle":
		fmt.Fprintf(w, "  load           %d idle sockets in %d room(s)\n", r.Params.Sockets, r.Params.Rooms)
	case "churn":
		fmt.Fprintf(w, "  load           %d connect/close cycles, %d at a time, 1 room\n", r.Params.Cycles, r.Params.Parallel)
	}
	if r.Prep.Users > 0 {
		fmt.Fprintf(w, "  prepared       %d users logged in, %d room(s), in %.1f s\n", r.Prep.Users, r.Prep.Rooms, r.Prep.Seconds)
	}
	if r.Scenario != "churn" {
		fmt.Fprintf(w, "  sockets        %d open in %.2f s, %d dial errors%s\n", c.Sockets, c.ConnectSeconds, c.DialErrors, firstErr(c.FirstDialError))
	}
	if f := r.Fanout; f != nil {
		fmt.Fprintf(w, "  published      %d messages (%.0f/s), %d not back within the ack timeout\n", f.Published, f.PublishedPerS, f.AckTimeouts)
		fmt.Fprintf(w, "  deliveries     %d (%.0f/s); expected %d, missing %d; %.2f messages a frame\n", f.Deliveries, f.DeliveriesPS, f.Expected, f.Missing, f.MessagesPerFrame)
		l := f.Latency
		fmt.Fprintf(w, "  latency        p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms (mean %.2f ms; %d samples: every delivery)\n",
			l.P50Ms, l.P90Ms, l.P99Ms, l.P999Ms, l.MaxMs, l.MeanMs, l.Samples)
		same := r.Params.Clients == "same" && f.ServerCPUCores > 0
		if f.ServerCPUCores > 0 {
			who := "server"
			if same {
				who = "process"
			}
			fmt.Fprintf(w, "  %-14s %.2f cores; %.0f B and %.1f allocations per delivery; %d GCs; %d goroutines; heap in use %s\n",
				who, f.ServerCPUCores, f.ServerBytesPerDel, f.ServerAllocsPerDel, f.ServerGCs, f.ServerGoroutines, mb(f.ServerHeapInuse))
		}
		if f.ExternalCPUCores > 0 {
			fmt.Fprintf(w, "  server         %.2f cores (from /proc, -server-pid)\n", f.ExternalCPUCores)
		}
		if !same {
			fmt.Fprintf(w, "  clients        %.2f cores\n", f.ClientCPUCores)
		}
	}
	if f := r.Idle; f != nil {
		fmt.Fprintf(w, "  server before  heap in use %s, stacks %s, %d goroutines, RSS %s\n", mb(f.Before.HeapInuse), mb(f.Before.StackInuse), f.Before.Goroutines, mb(f.Before.RSS))
		fmt.Fprintf(w, "  server with    heap in use %s, stacks %s, %d goroutines, RSS %s; %d sockets served\n", mb(f.With.HeapInuse), mb(f.With.StackInuse), f.With.Goroutines, mb(f.With.RSS), f.ServedSockets)
		fmt.Fprintf(w, "  per socket     heap in use %s + stack %s = %s; %.2f goroutines (live heap objects %s; RSS %s)\n",
			kb(f.HeapPerSocket), kb(f.StackPerSocket), kb(f.HeapPerSocket+f.StackPerSocket), f.GoroutinesPerSocket, kb(f.HeapAllocPerSocket), kb(f.RSSPerSocket))
		fmt.Fprintf(w, "  method         %s\n", f.Method)
		fmt.Fprintf(w, "  client side    heap %s + stack %s, %.2f goroutines per socket (its own process, not counted above)\n",
			kb(c.ClientHeapPerSocket), kb(c.ClientStackPerSocket), float64(c.ClientGoroutines)/float64(max(c.Sockets, 1)))
		fmt.Fprintf(w, "  after close    %d goroutines (before: %d), %.1f s after the clients ended; presence/ still lists %d users (asked %s after)\n",
			f.GoroutinesAfter, f.Before.Goroutines, f.SettleSeconds, f.PresentAfter, f.PresenceWait)
	}
	if f := r.Churn; f != nil {
		fmt.Fprintf(w, "  cycles         %d in %.1f s (%.0f/s), %d errors%s\n", f.Cycles, f.Seconds, f.CyclesPerS, f.Errors, firstErr(f.FirstError))
		if f.GoroutinesBefore > 0 {
			fmt.Fprintf(w, "  goroutines     before %d, after %d (%.1f s settle wait); sockets still served %d\n", f.GoroutinesBefore, f.GoroutinesAfter, f.SettleSeconds, f.ServedAfter)
			fmt.Fprintf(w, "  cpu            server %.2f cores, clients %.2f cores\n", f.ServerCPUCores, f.ClientCPUCores)
		}
	}
	if len(c.Closes) == 0 {
		fmt.Fprintf(w, "  closes         none unexpected\n")
	} else {
		codes := map[int]int{}
		for _, cl := range c.Closes {
			codes[cl.Code]++
		}
		fmt.Fprintf(w, "  closes         %d unexpected, by code %v; first: socket %d (%s) at %.1f s: %s\n",
			len(c.Closes), codes, c.Closes[0].Socket, c.Closes[0].Role, c.Closes[0].At, c.Closes[0].Error)
	}
	if c.ErrorFrames > 0 {
		fmt.Fprintf(w, "  error frames   %d; first: %s\n", c.ErrorFrames, c.FirstError)
	}
	for _, l := range r.ServerLog {
		fmt.Fprintf(w, "  server log     %d × %s\n", l.Count, l.Record)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "  note           %s\n", n)
	}
	fmt.Fprintf(w, "  machine        %d CPUs (GOMAXPROCS %d), %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
}

func firstErr(s string) string {
	if s == "" {
		return ""
	}
	return "; first: " + s
}

// ratio is a/b, or 0 when b is.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// runToEnd starts the clients of p, waits for them to finish, and stops
// prof, whether or not they failed.
func runToEnd(p plan, child bool, onEvent func(string), prof *profile) (clientResult, error) {
	defer prof.stop()
	cl, err := startClients(p, child, onEvent)
	if err != nil {
		return clientResult{}, err
	}
	return cl.wait()
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
)

// The client side runs in a child process by default (the same program,
// re-executed with -clients-only), so that the server process measured
// holds the server alone: its heap, goroutines, CPU time and profile are
// the server's. The parent writes the plan to the child's stdin as one
// JSON line, then "proceed" when an idle child may close its sockets; the
// child writes JSON lines to stdout: {"event":…} as it goes, then
// {"result":…} or {"error":…}.

// childEnv marks the child (a test binary cannot take -clients-only).
const childEnv = "CHATLOAD_CLIENTS_ONLY"

type childMsg struct {
	Event  string        `json:"event,omitempty"`
	Result *clientResult `json:"result,omitempty"`
	Error  string        `json:"error,omitempty"`
}

// childMain is the child: it runs the plan read from stdin.
func childMain() int {
	in := bufio.NewReader(os.Stdin)
	line, err := in.ReadBytes('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, "chatload -clients-only: no plan on stdin:", err)
		return 2
	}
	var p plan
	if err := json.Unmarshal(line, &p); err != nil {
		fmt.Fprintln(os.Stderr, "chatload -clients-only: bad plan:", err)
		return 2
	}
	proceed := make(chan struct{})
	go func() {
		// "proceed", or the parent going away, lets the sockets close.
		_, _ = in.ReadBytes('\n')
		close(proceed)
	}()
	var mu sync.Mutex
	out := json.NewEncoder(os.Stdout)
	send := func(m childMsg) {
		mu.Lock()
		defer mu.Unlock()
		_ = out.Encode(m)
	}
	res, err := runClients(context.Background(), p, hooks{
		event:   func(name string) { send(childMsg{Event: name}) },
		proceed: proceed,
	})
	if err != nil {
		send(childMsg{Error: err.Error()})
		return 1
	}
	send(childMsg{Result: &res})
	return 0
}

// clients is the client side as the parent drives it.
type clients struct {
	proceed func()
	wait    func() (clientResult, error)
}

// startClients runs the plan in a child process (child) or in this one;
// onEvent is called with each event.
func startClients(p plan, child bool, onEvent func(string)) (*clients, error) {
	if !child {
		proceed := make(chan struct{})
		var once sync.Once
		done := make(chan struct{})
		var res clientResult
		var err error
		go func() {
			defer close(done)
			res, err = runClients(context.Background(), p, hooks{event: onEvent, proceed: proceed})
		}()
		return &clients{
			proceed: func() { once.Do(func() { close(proceed) }) },
			wait:    func() (clientResult, error) { <-done; return res, err },
		}, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-clients-only")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(p)
	if _, err := stdin.Write(append(b, '\n')); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, err
	}
	done := make(chan struct{})
	var res *clientResult
	var childErr error
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			var m childMsg
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				childErr = fmt.Errorf("client process wrote %q: %w", sc.Bytes(), err)
				continue
			}
			switch {
			case m.Event != "":
				onEvent(m.Event)
			case m.Result != nil:
				res = m.Result
			case m.Error != "":
				childErr = errors.New(m.Error)
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var once sync.Once
	proceed := func() {
		once.Do(func() {
			_, _ = io.WriteString(stdin, "proceed\n")
			_ = stdin.Close()
		})
	}
	return &clients{
		proceed: proceed,
		wait: func() (clientResult, error) {
			<-done
			proceed()
			werr := cmd.Wait()
			switch {
			case childErr != nil:
				return clientResult{}, fmt.Errorf("client process: %w", childErr)
			case res == nil && werr != nil:
				return clientResult{}, fmt.Errorf("client process: %w", werr)
			case res == nil:
				return clientResult{}, errors.New("client process: no result")
			}
			return *res, nil
		},
	}, nil
}

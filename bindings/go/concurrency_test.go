package dsinfer

import (
	"context"
	"fmt"
	"sync"
	"testing"
)

// One model shared by four goroutines, each with its own session, gives the tokens each
// would get alone.
func TestSharedModelConcurrentSessions(t *testing.T) {
	m := builtin(t)
	run := func(i int) ([]int32, error) {
		s, err := NewSession(m, 0)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		p := DefaultGenerateParams()
		p.MaxTokens, p.Seed, p.StopAtEOS = 8, 1000+uint64(i), false
		res, err := s.Generate(context.Background(), fmt.Sprintf("worker %d", i), p, nil)
		return res.Tokens, err
	}
	alone := make([][]int32, 4)
	for i := range alone {
		var err error
		if alone[i], err = run(i); err != nil || len(alone[i]) != 8 {
			t.Fatalf("alone %d: %v, %v", i, alone[i], err)
		}
	}
	together := make([][]int32, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range together {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			together[i], errs[i] = run(i)
		}(i)
	}
	wg.Wait()
	for i := range together {
		if errs[i] != nil || !equalIDs(together[i], alone[i]) {
			t.Errorf("worker %d: %v (%v), alone %v", i, together[i], errs[i], alone[i])
		}
	}
}

// Overlapping calls on one session are refused, never run together.
func TestOneSessionTwoGoroutines(t *testing.T) {
	s := newSession(t, builtin(t), 0)
	p := DefaultGenerateParams()
	p.MaxTokens, p.StopAtEOS = 40, false
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		n := 0
		_, err := s.Generate(context.Background(), "busy", p, func(TokenEvent) bool {
			if n++; n == 1 {
				close(started)
				<-release
			}
			return true
		})
		done <- err
	}()
	<-started
	_, err := s.NPast()
	busyClose := s.Close()
	close(release)
	if genErr := <-done; genErr != nil {
		t.Fatal(genErr)
	}
	if err != ErrBusy || busyClose != ErrBusy {
		t.Fatalf("during a generation: NPast %v, Close %v", err, busyClose)
	}
	if n, err := s.NPast(); err != nil || n == 0 {
		t.Fatalf("afterwards: %d, %v", n, err)
	}
}

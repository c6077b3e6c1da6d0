package memory_test

import (
	"sync"
	"testing"

	"github.com/reelmart/reelmart/platform/bus"
	"github.com/reelmart/reelmart/platform/bus/bustest"
	"github.com/reelmart/reelmart/platform/bus/memory"
)

var shared sync.Map // test name → its bus

// In process, every "node" of a test is the same bus.
func TestContract(t *testing.T) {
	bustest.Run(t, func(t *testing.T) bus.Bus {
		v, ok := shared.Load(t.Name())
		if !ok {
			b := memory.New()
			t.Cleanup(func() { b.Close() })
			v, _ = shared.LoadOrStore(t.Name(), b)
		}
		return v.(bus.Bus)
	})
}

package safe

import (
	"errors"
	"testing"
)

func TestEach(t *testing.T) {
	boom := errors.New("boom")
	errs := Each(3, func(i int) error {
		switch i {
		case 1:
			panic("bad row")
		case 2:
			return boom
		}
		return nil
	})
	var pe *PanicError
	if errs[0] != nil || !errors.As(errs[1], &pe) || pe.Value != "bad row" || len(pe.Stack) == 0 || errs[2] != boom {
		t.Errorf("errs = %v", errs)
	}
}

package spec

import "fmt"

// fargateSizes is AWS's table of valid Fargate task sizes: for each cpu
// value, the memory range (MiB) and the step within it.
var fargateSizes = []struct{ cpu, min, max, step int }{
	{256, 512, 2048, 0}, // 512, 1024, 2048 only
	{512, 1024, 4096, 1024},
	{1024, 2048, 8192, 1024},
	{2048, 4096, 16384, 1024},
	{4096, 8192, 30720, 1024},
	{8192, 16384, 61440, 4096},
	{16384, 32768, 122880, 8192},
}

// CheckFargateSize reports whether cpu units and memory MiB form a task size
// that Fargate accepts.
func CheckFargateSize(cpu, memory int) error {
	for _, s := range fargateSizes {
		if s.cpu != cpu {
			continue
		}
		ok := memory >= s.min && memory <= s.max
		if s.step == 0 {
			ok = memory == 512 || memory == 1024 || memory == 2048
		} else if ok {
			ok = (memory-s.min)%s.step == 0
		}
		if !ok {
			if s.step == 0 {
				return fmt.Errorf("memory %d does not fit cpu %d on Fargate; use 512, 1024 or 2048", memory, cpu)
			}
			return fmt.Errorf("memory %d does not fit cpu %d on Fargate; use %d to %d in steps of %d", memory, cpu, s.min, s.max, s.step)
		}
		return nil
	}
	return fmt.Errorf("cpu %d is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192 or 16384", cpu)
}

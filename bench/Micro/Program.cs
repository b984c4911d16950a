using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(WaitingRoom.Micro.AccessBenchmarks).Assembly).Run(args);

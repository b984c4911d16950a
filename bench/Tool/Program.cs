using WaitingRoom.Bench;

// WaitingRoom.Bench: the helper of bench/run.sh. One subcommand per step; each prints one JSON
// object on stdout (the raw measurement run.sh keeps) and exits non-zero when the step failed.
return args.FirstOrDefault() switch
{
    "fill" => await FillCommand.RunAsync(new Arguments(args[1..])),
    "watch-capacity" => await WatchCapacityCommand.RunAsync(new Arguments(args[1..])),
    "wait-released" => await WaitReleasedCommand.RunAsync(new Arguments(args[1..])),
    "prime" => await PrimeCommand.RunAsync(new Arguments(args[1..])),
    "report" => ReportCommand.Run(new Arguments(args[1..])),
    "pow" => await PowCommand.RunAsync(new Arguments(args[1..])),
    "assertion-cost" => await AssertionCostCommand.RunAsync(new Arguments(args[1..])),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("""
        usage: WaitingRoom.Bench <command> [--option value ...]
          (every command that talks to Redis also takes --prefix P, the proxy's WR_REDIS_KEY_PREFIX; default wr)
          (--redis takes host:port or a cluster's seed list host:port,host:port,...; --room NAME the room, default "default")
          fill            --redis host:port --secret S --active M --queued N [--max M] [--add] [--tokens K --sample queued|random|active [--from P] --out file] [--concurrency 256] [--ttl 3600]
          prime           --url http://proxy --in tokens --out lines [--room NAME] [--append]
          watch-capacity  --redis host:port --max M --seconds T [--interval-ms 50]
          wait-released   --redis host:port --count N [--free] [--timeout 30]
          report          --raw DIR --out DIR [--svg file]
          pow             [--difficulties 12,14,16,18,20] [--runs 7] [--engines race,subtle,js] [--timeout 300] [--chromium path] [--wwwroot DIR]
          assertion-cost  [--count 20000]   (WR-Admission: µs per signature and per cached request, no HTTP)
        """);
    return 64;
}

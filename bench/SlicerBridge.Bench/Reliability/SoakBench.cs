using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace SlicerBridge.Bench.Reliability;

/// <summary>
/// Bounded soak of a real server process on loopback (docs/reliability.md): damaged messages of every type over many
/// connections, concurrent segmentations, clients cut mid-IMAGE, shutdown mid-request; RSS and the cache budget.
/// Stops by itself; exits non-zero when any check fails.
/// </summary>
public sealed class SoakBench : IBenchCommand
{
    private const long CacheBudget = 64L << 20;

    public string Name => "soak";
    public string Description => "Reliability soak against a server process: [messages=1000000] [damageSeconds=240] [workers=16]";

    public int Run(string[] args)
    {
        long messages = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        int seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 240;
        int workers = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 16;
        return RunAsync(messages, seconds, workers).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(long targetMessages, int damageSeconds, int workers)
    {
        var total = Stopwatch.StartNew();
        var failures = new List<string>();
        void Check(bool ok, string what) { Console.WriteLine($"  [{(ok ? "ok" : "FAIL")}] {what}"); if (!ok) failures.Add(what); }
        static string MiB(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";

        using var server = new SoakServer(new Dictionary<string, string>
        {
            ["Cache:MemoryBudgetBytes"] = CacheBudget.ToString(CultureInfo.InvariantCulture),
            ["Models:MemoryBudgetBytes"] = (1L << 30).ToString(CultureInfo.InvariantCulture),
            ["Scheduling:Parallelism"] = "2",
            ["Server:MaxClients"] = "256",
            ["Server:MaxClientsPerAddress"] = "256", // every soak client comes from loopback
            ["Server:ShutdownDeadlineSeconds"] = "3",
            ["Server:MessageReadTimeoutSeconds"] = "10",
        });
        await server.WaitListeningAsync();
        Console.WriteLine($"server pid {server.ProcessId} on {server.EndPoint}; {Environment.ProcessorCount} logical CPUs (shared), cache budget {MiB(CacheBudget)}, model growcut");

        // Warm-up: one segmentation, so the baseline RSS includes the JIT-compiled paths.
        var warm = await ClientPhases.ConcurrentSegmentationsAsync(server.EndPoint, 1, 1, 48);
        Check(warm.Failures.Count == 0, $"warm-up segmentation {string.Join("; ", warm.Failures)}");
        long rssBaseline = server.ResidentBytes();
        Console.WriteLine($"RSS after warm-up: {MiB(rssBaseline)}");

        // 1. Damaged messages.
        Console.WriteLine($"\n1. damaged messages: target {targetMessages:N0}, {workers} connections at a time, at most {damageSeconds} s");
        var damage = new DamagePhase(server.EndPoint, workers, targetMessages, TimeSpan.FromSeconds(damageSeconds), seed: 12);
        await damage.RunAsync();
        var conns = damage.Connections.ToList();
        Console.WriteLine($"  {damage.Messages:N0} damaged messages over {conns.Count:N0} connections in {damage.Elapsed.TotalSeconds:0.0} s ({damage.Messages / damage.Elapsed.TotalSeconds:N0} messages/s)");
        foreach (var type in damage.Matrix.Keys.Select(k => k.Type).Distinct().Order())
            Console.WriteLine($"    {type,-12} " + string.Join("  ", Enum.GetValues<Damage>().Select(d => $"{d} {damage.Matrix.GetValueOrDefault((type, d)):N0}")));
        for (int i = 0; i < 100 && conns.Any(c => server.ConnectionOf(c.LocalPort) is not { } id || !server.IsClosed(id)); i++) await Task.Delay(100);
        int unknown = 0, open = 0, silent = 0, clientErrors = 0;
        foreach (var c in conns)
        {
            if (c.ClientError is not null) clientErrors++;
            if (server.ConnectionOf(c.LocalPort) is not { } id) { unknown++; continue; }
            if (!server.IsClosed(id)) open++;
            if (c.Replies == 0 && server.ReasonOf(id) is null) silent++;
        }
        Console.WriteLine($"  answered: {conns.Count(c => c.Replies > 0):N0}; closed without an answer but with a logged reason: {conns.Count(c => c.Replies == 0):N0}; framing-breaking endings: {conns.Count(c => c.Breaking is not null):N0}");
        Console.WriteLine("  logged reasons: " + string.Join(", ", server.ReasonCounts.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} {kv.Value:N0}")));
        Check(!server.HasExited, "server still running (0 crashes)");
        Check(damage.Messages >= targetMessages, $"at least {targetMessages:N0} damaged messages ({damage.Messages:N0})");
        Check(damage.Matrix.Keys.Select(k => k.Type).Distinct().Count() == DamagedMessages.Bases.Select(b => b.Type).Distinct().Count(), $"every message type damaged ({damage.Matrix.Keys.Select(k => k.Type).Distinct().Count()} types)");
        Check(unknown == 0, $"every connection accepted in the server log ({unknown} missing)");
        Check(open == 0, $"every connection closed by the server ({open} still open)");
        Check(silent == 0, $"every connection answered or closed with a logged reason ({silent} neither)");
        Check(clientErrors == 0, $"every reply well-formed ({clientErrors} client-side errors{string.Join("", conns.Where(c => c.ClientError is not null).Take(3).Select(c => "; " + c.ClientError))})");
        long rssDamage = server.ResidentBytes();

        // 2. Concurrent clients, each with its own labelmap; 3 volumes each so the cache must evict.
        Console.WriteLine("\n2. 20 concurrent clients (growcut), 3 volumes each (64³ int16; 1 MiB each as cached float32)");
        var concurrent = await ClientPhases.ConcurrentSegmentationsAsync(server.EndPoint, 20, 3, 64);
        Console.WriteLine($"  {concurrent.Labelmaps} correct labelmaps in {concurrent.Seconds:0.0} s");
        foreach (var f in concurrent.Failures.Take(5)) Console.WriteLine($"    {f}");
        Check(concurrent.Failures.Count == 0 && concurrent.Labelmaps == 60, "each client got its own correct labelmap (geometry, request id, Dice ≥ 0.9)");
        JsonElement status;
        await using (var probe = await SoakClient.ConnectAsync(server.EndPoint)) status = await probe.StatusAsync();
        long used = status.GetProperty("cache").GetProperty("usedBytes").GetInt64();
        Check(used <= CacheBudget, $"volume cache {MiB(used)} within its budget {MiB(CacheBudget)} after {20 * 3 + 1} volumes");
        long rssConcurrent = server.ResidentBytes();

        // 3. Clients cut mid-IMAGE.
        Console.WriteLine("\n3. 200 clients cut mid-IMAGE (16 MiB int16 volume, reset at a random byte), 8 at a time");
        long rssBeforeCuts = server.ResidentBytes();
        int cut = await ClientPhases.CutMidImageAsync(server.EndPoint, 200, 8, seed: 5);
        await Task.Delay(500);
        await using (var probe = await SoakClient.ConnectAsync(server.EndPoint)) status = await probe.StatusAsync();
        int sessions = status.GetProperty("sessions").GetInt32();
        var healthy = await ClientPhases.ConcurrentSegmentationsAsync(server.EndPoint, 2, 1, 48);
        long rssAfterCuts = server.ResidentBytes();
        Check(!server.HasExited && cut == 200, $"{cut} cuts, server running");
        Check(sessions == 1, $"no session left behind (sessions = {sessions}, the probe itself)");
        Check(healthy.Failures.Count == 0, "segmentations still correct after the cuts");
        Console.WriteLine($"  RSS before {MiB(rssBeforeCuts)}, after {MiB(rssAfterCuts)} (3.2 GiB of partial images went through)");

        // 4. Shutdown mid-request.
        Console.WriteLine("\n4. SIGTERM with 8 clients' segmentations (128³) queued or running; shutdown deadline 3 s");
        var stopClock = Stopwatch.StartNew();
        var stop = await ClientPhases.ShutdownMidRequestAsync(server, 8, 128, TimeSpan.FromMilliseconds(300));
        bool exited = server.WaitForExit(TimeSpan.FromSeconds(15));
        Console.WriteLine($"  {stop.Labelmaps} labelmaps delivered before the stop, {stop.Goodbyes} of {stop.Clients} told ShuttingDown; exit after {stopClock.Elapsed.TotalSeconds:0.0} s, code {(exited ? server.ExitCode : -1)}");
        foreach (var f in stop.Failures.Take(5)) Console.WriteLine($"    {f}");
        Check(stop.Goodbyes == stop.Clients, "every client told STATUS ShuttingDown before its connection closed");
        Check(exited && server.ExitCode == 0, "server exited cleanly (code 0)");

        var errors = server.ErrorLines.Take(5).ToList();
        Check(errors.Count == 0, $"no error logged by the server{string.Join("", errors.Select(e => "; " + e))}");

        Console.WriteLine($"\nRSS: after warm-up {MiB(rssBaseline)}, after damage {MiB(rssDamage)}, after 20 clients {MiB(rssConcurrent)}, after cuts {MiB(rssAfterCuts)}; cache budget {MiB(CacheBudget)}");
        // Bound by design: 8 uploads at a time hold 8 × 16 MiB, and dropped large buffers wait for a full collection until
        // ReceiveBufferPool.CollectAfterBytes of them pile up; beyond that (+ 64 MiB) after 3.2 GiB would be a leak.
        long bound = 8 * (16L << 20) + SlicerBridge.Host.Server.ReceiveBufferPool.CollectAfterBytes + (64L << 20);
        Check(rssAfterCuts - rssBeforeCuts <= bound, $"cut uploads leave no memory behind: RSS {MiB(rssBeforeCuts)} → {MiB(rssAfterCuts)} (bound +{MiB(bound)})");
        Console.WriteLine($"\nsoak: {total.Elapsed.TotalSeconds:0} s, server log lines {server.LogLines:N0}, {failures.Count} failed check(s)");
        return failures.Count == 0 ? 0 : 1;
    }
}

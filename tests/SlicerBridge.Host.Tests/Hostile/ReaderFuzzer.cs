using System.Diagnostics;
using System.Globalization;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// The long fuzz run outside CI: <c>dotnet SlicerBridge.Host.Tests.dll --fuzz SECONDS SEED FOLDER</c> mutates the
/// <see cref="FuzzSeeds"/> with <see cref="ByteMutator"/> and feeds each result to its reader. A run is clean when the
/// reader returns or throws its own format exception; a finding is any other exception, a read slower than
/// <see cref="Slow"/> or one allocating more than <see cref="Heavy"/> bytes. Findings are saved in FOLDER with the
/// iteration's seed; before each input the seed is written to FOLDER/current so that a crash names its input.
/// The summary table is what docs/reliability.md reports.
/// </summary>
internal static class ReaderFuzzer
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(5);
    private const long Heavy = 1L << 30;

    private sealed class Tally
    {
        public long Runs, Accepted, Rejected, Findings, MaxAllocated;
        public double MaxMs;
    }

    public static int Run(string[] args)
    {
        if (args.Length < 3) { Console.Error.WriteLine("usage: --fuzz SECONDS SEED FOLDER"); return 2; }
        double seconds = double.Parse(args[0], CultureInfo.InvariantCulture);
        int seed = int.Parse(args[1], CultureInfo.InvariantCulture);
        string folder = Directory.CreateDirectory(args[2]).FullName;
        string work = Directory.CreateDirectory(Path.Combine(folder, "work")).FullName;
        FuzzSeeds.WriteCompanions(work);
        var seeds = FuzzSeeds.All();
        var tallies = seeds.Select(s => s.Family).Distinct().ToDictionary(f => f, _ => new Tally());
        var rejections = new Dictionary<string, long>();
        var clock = Stopwatch.StartNew();
        for (long iteration = 0; clock.Elapsed.TotalSeconds < seconds; iteration++)
        {
            int inputSeed = HashCode.Combine(seed, iteration) & int.MaxValue;
            var mutator = new ByteMutator(inputSeed);
            var s = seeds[mutator.Random.Next(seeds.Count)];
            byte[] input = mutator.Mutate(s.Content);
            if (s.Wrap is not null) input = s.Wrap(input);
            string path = Path.Combine(work, s.FileName);
            File.WriteAllBytes(path, input);
            File.WriteAllText(Path.Combine(folder, "current"), $"{inputSeed} {s.FileName}");
            var (outcome, ms, allocated) = Read(s, path);
            var tally = tallies[s.Family];
            tally.Runs++;
            tally.MaxMs = Math.Max(tally.MaxMs, ms);
            tally.MaxAllocated = Math.Max(tally.MaxAllocated, allocated);
            bool finding = outcome is Exception ex && ex.GetType() != s.ErrorType || ms > Slow.TotalMilliseconds || allocated > Heavy;
            if (finding)
            {
                tally.Findings++;
                File.Copy(path, Path.Combine(folder, $"finding-{inputSeed}-{s.FileName}"), overwrite: true);
                Console.WriteLine($"FINDING seed {inputSeed} {s.FileName}: {ms:0} ms, {allocated >> 20} MB, {(outcome as Exception)?.ToString() ?? "no error"}");
            }
            else if (outcome is Exception rejected)
            {
                tally.Rejected++;
                string reason = Reason(rejected.Message);
                rejections[reason] = rejections.GetValueOrDefault(reason) + 1;
            }
            else tally.Accepted++;
        }
        Console.WriteLine($"| family | inputs | read | rejected (format error) | findings | slowest ms | most allocated MB |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var (family, t) in tallies)
            Console.WriteLine($"| {family} | {t.Runs} | {t.Accepted} | {t.Rejected} | {t.Findings} | {t.MaxMs:0} | {t.MaxAllocated / 1048576.0:0.0} |");
        Console.WriteLine($"{tallies.Values.Sum(t => t.Runs)} inputs in {clock.Elapsed.TotalSeconds:0} s, seed {seed}; {rejections.Count} distinct rejection reasons, most frequent:");
        foreach (var (reason, count) in rejections.OrderByDescending(r => r.Value).Take(15)) Console.WriteLine($"  {count,7}  {reason}");
        return tallies.Values.Any(t => t.Findings > 0) ? 1 : 0;
    }

    /// <summary>Reads on a thread of its own so that its allocations can be counted and a hang be seen.</summary>
    private static (object? Outcome, double Ms, long Allocated) Read(FuzzSeed seed, string path)
    {
        object? outcome = null;
        long allocated = 0;
        var clock = Stopwatch.StartNew();
        var thread = new Thread(() =>
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try { seed.Read(path); }
            catch (Exception ex) { outcome = ex; }
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }, maxStackSize: 16 << 20) { IsBackground = true };
        thread.Start();
        if (!thread.Join(Slow * 4))
            return (new TimeoutException($"no answer after {(Slow * 4).TotalSeconds} s"), clock.Elapsed.TotalMilliseconds, 0);
        return (outcome, clock.Elapsed.TotalMilliseconds, allocated);
    }

    /// <summary>A rejection message without the file name and numbers, to count distinct reasons.</summary>
    private static string Reason(string message)
    {
        var text = new string(message.Select(c => char.IsAsciiDigit(c) ? '#' : c).ToArray());
        int colon = text.IndexOf(": ", StringComparison.Ordinal);
        if (colon > 0 && text[..colon].Contains('.')) text = text[(colon + 2)..];
        return text.Length > 90 ? text[..90] : text;
    }
}

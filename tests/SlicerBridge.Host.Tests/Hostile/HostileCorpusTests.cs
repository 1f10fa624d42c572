using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// Runs every case of <see cref="HostileCorpus"/> in a child process (the corpus runner) and fails on an abort, a
/// stack trace, a hang, a message that is not one clean line, or a peak RSS / time over the case's budget.
/// Time budgets are generous: the CI machine has two cores shared with other jobs.
/// </summary>
public sealed class HostileCorpusTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(90);
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-hostile-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Cases => [.. HostileCorpus.All.Select(c => c.Id)];

    [SkippableTheory]
    [MemberData(nameof(Cases))]
    public async Task EndsCleanlyWithinBudget(string id)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the corpus measures peak RSS from /proc and makes FIFOs");
        var c = HostileCorpus.ById(id);
        string[] args = c.Build(_folder);
        string report = Path.Combine(_folder, "report.txt");
        var (code, stdout, stderr) = await RunChild(["--corpus-case", report, .. args]);

        string output = stdout + stderr;
        Assert.False(output.Contains("   at ", StringComparison.Ordinal) || output.Contains("Unhandled exception", StringComparison.Ordinal)
            || output.Contains("Stack overflow", StringComparison.Ordinal), $"{id}: a crash or stack trace (exit {code}):\n{output}");
        if (c.ExpectSuccess)
        {
            Assert.True(code == 0, $"{id}: exit {code}, expected success:\n{output}");
            Assert.Contains(c.Expect, stdout);
        }
        else
        {
            Assert.True(code is 1 or 2, $"{id}: exit {code}, expected 1 or 2:\n{output}");
            string line = stderr.Trim();
            Assert.False(line.Contains('\n'), $"{id}: the error is not one line:\n{stderr}");
            Assert.StartsWith("error: ", line);
            Assert.Contains(c.Expect, line);
        }
        if (c.Forbidden?.Invoke() is { } forbidden) Assert.DoesNotContain(forbidden, output);
        Assert.True(File.Exists(report), $"{id}: the runner wrote no report:\n{output}");
        var figures = File.ReadAllText(report).Split(' ').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        log.WriteLine($"{id}: exit {code}, peak RSS {figures[0] / 1024} MB, {figures[1]} ms | {stderr.Trim()}{stdout.Trim()}");
        Assert.True(figures[0] <= c.RssBudgetMb * 1024L, $"{id}: peak RSS {figures[0] / 1024} MB over its budget of {c.RssBudgetMb} MB");
        Assert.True(figures[1] <= c.SecondsBudget * 1000, $"{id}: {figures[1]} ms over its budget of {c.SecondsBudget} s");
    }

    /// <summary>Runs the test assembly as the corpus runner; kills it and fails when it outlives <see cref="Hang"/>.</summary>
    internal static async Task<(int Code, string Stdout, string Stderr)> RunChild(IEnumerable<string> args)
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(typeof(CorpusRunner).Assembly.Location);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Hang);
        try { await process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"hang: still running after {Hang.TotalSeconds} s");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}

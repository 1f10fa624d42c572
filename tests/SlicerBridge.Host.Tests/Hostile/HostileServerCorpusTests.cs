using System.Diagnostics;
using System.Net;
using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;
using Xunit.Abstractions;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// The OpenIGTLink family of the hostile corpus: each case drives a real <c>slicerbridge serve</c> process as a hostile
/// client would, then checks the server still serves a fresh client, stays within its peak-RSS budget (VmHWM of the
/// server process), the case within its time budget, and that the server stops cleanly (exit 0, no stack trace).
/// Budgets are generous: the CI machine has two cores shared with other jobs (docs/security.md lists the figures).
/// </summary>
public sealed class HostileServerCorpusTests(ITestOutputHelper log)
{
    private static async Task<JsonElement> StatusAsync(TestClient client)
    {
        await client.SendAsync(new QueryMessage("GET_STATUS"));
        var status = await client.ReceiveAsync<StatusMessage>(60);
        Assert.Equal(IgtlStatusCode.Ok, status.Code);
        return JsonDocument.Parse(status.Message).RootElement;
    }

    /// <summary>A fresh client (from <paramref name="from"/>) is served a segmentation.</summary>
    private static async Task AssertServesAsync(ServeProcess serve, IPAddress? from = null)
    {
        await using var client = await serve.ConnectAsync(from);
        var (image, values) = TestImages.Ball("fresh", 24, 6);
        await client.SendAsync(image);
        await client.SendAsync(TestImages.Points("PromptPos", (12, 12, 12)));
        using var result = await client.ReceiveAsync<ImageMessage>(60);
        Assert.True(TestImages.Dice(result, values) > 0.9);
    }

    private async Task FinishAsync(string id, ServeProcess serve, Stopwatch clock, int rssBudgetMb, double secondsBudget, string figures)
    {
        long peak = serve.PeakRssMb;
        await serve.StopCleanlyAsync();
        log.WriteLine($"igtl/{id}: server peak RSS {peak} MB, {clock.ElapsedMilliseconds} ms | {figures}");
        Assert.True(peak <= rssBudgetMb, $"igtl/{id}: server peak RSS {peak} MB over its budget of {rssBudgetMb} MB ({figures})");
        Assert.True(clock.Elapsed.TotalSeconds <= secondsBudget, $"igtl/{id}: {clock.ElapsedMilliseconds} ms over its budget of {secondsBudget} s");
    }

    [SkippableFact]
    public async Task Undo_growth_over_300_clicks_stays_under_the_cap()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "peak RSS is read from /proc");
        const long cap = 64L << 20;
        await using var serve = await ServeProcess.StartAsync($"--Server:MaxUndoBytes={cap}");
        var clock = Stopwatch.StartNew();
        await using var client = await serve.ConnectAsync();
        var (image, _) = TestImages.Ball("ct", 64, 20);
        await client.SendAsync(image);
        long maxUndo = 0;
        for (int i = 0; i < 300; i++)
        {
            // Alternating clicks inside the ball: each one a new result on the undo history.
            await client.SendAsync(TestImages.Points("PromptPos", (32 + i % 5, 32, 32 - i % 3)));
            using var _ = await client.ReceiveAsync<ImageMessage>(60);
            if (i % 50 == 49) maxUndo = Math.Max(maxUndo, (await StatusAsync(client)).GetProperty("undoBytes").GetInt64());
        }
        Assert.InRange(maxUndo, 1, cap);
        Assert.Equal("SUCCESS", (await client.CommandAsync("Undo")).Reply.Metadata["Status"]);
        await AssertServesAsync(serve);
        // The peak RSS is mostly per-click garbage the collector takes back lazily (786 MB without any cap, 913 MB with it,
        // docs/reliability.md); what the cap bounds is the live history, asserted above. The budget catches runaway growth.
        await FinishAsync("undo-growth", serve, clock, 1400, 240, $"undo history at most {maxUndo >> 20} MiB (cap {cap >> 20} MiB) over 300 clicks on 64³");
    }

    [SkippableFact]
    public async Task Commands_with_70_KB_names_get_fail_replies_and_the_session_keeps_replying()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "peak RSS is read from /proc");
        await using var serve = await ServeProcess.StartAsync();
        var clock = Stopwatch.StartNew();
        await using var client = await serve.ConnectAsync();
        string name = new('n', 70_000);
        int fails = 0;
        for (int i = 0; i < 50; i++)
            foreach (var (command, content) in new[] { ("SetTarget", new { volume = name } as object), ("Undo", new { volume = name }),
                         ("SetModel", new { model = name }), ("Segment", new { volume = name }) })
            {
                var (reply, _) = await client.CommandAsync(command, JsonSerializer.Serialize(content));
                Assert.Equal("FAIL", reply.Metadata["Status"]);
                Assert.True(reply.Metadata["ErrorMessage"].Length <= 4096);
                fails++;
            }
        await StatusAsync(client);
        await AssertServesAsync(serve);
        await FinishAsync("long-names", serve, clock, 400, 120, $"{fails} FAIL replies to commands naming 70 KB");
    }

    [SkippableFact]
    public async Task Sixty_four_idle_connections_from_one_address_are_capped_and_others_are_served()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "peak RSS is read from /proc; 127.0.0.2 is a loopback address");
        await using var serve = await ServeProcess.StartAsync();
        var clock = Stopwatch.StartNew();
        var idle = new List<TestClient>();
        for (int i = 0; i < 64; i++) idle.Add(await serve.ConnectAsync());
        int open = 0;
        foreach (var c in idle) // the refused ones are closed by the server: their read ends at once
        {
            try
            {
                await c.SendAsync(new QueryMessage("GET_STATUS"));
                if (await c.ReceiveAsync(30) is StatusMessage) open++;
            }
            catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException) { }
        }
        Assert.Equal(16, open);
        // Another address is not affected by the first one's connections.
        await using (var other = await serve.ConnectAsync(IPAddress.Parse("127.0.0.2")))
            Assert.Equal(17, (await StatusAsync(other)).GetProperty("sessions").GetInt32());
        await AssertServesAsync(serve, IPAddress.Parse("127.0.0.3"));
        foreach (var c in idle) await c.DisposeAsync();
        await FinishAsync("idle-connections", serve, clock, 400, 120, $"{open} of 64 idle connections from 127.0.0.1 held");
    }

    [SkippableFact]
    public async Task Four_stalled_uploads_declaring_a_gibibyte_are_released_at_the_read_timeout()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "peak RSS is read from /proc");
        await using var serve = await ServeProcess.StartAsync("--Server:MessageReadTimeoutSeconds=2");
        var clock = Stopwatch.StartNew();
        long rssBefore = serve.RssMb;
        byte[] head = RawImages.HeadOfInt16("huge", 1024, 1024, 511); // 1,022 MiB of pixels declared, under the 1 GiB body limit
        byte[] chunk = new byte[1 << 20];
        const int sentMb = 128;
        var stalled = new List<TestClient>();
        for (int c = 0; c < 4; c++)
        {
            var client = await serve.ConnectAsync();
            await client.SendRawAsync(head);
            for (int i = 0; i < sentMb; i++) await client.SendRawAsync(chunk);
            stalled.Add(client);
        }
        foreach (var client in stalled)
        {
            var status = await client.ReceiveAsync<StatusMessage>(60);
            Assert.Equal(IgtlStatusCode.TimeOut, status.Code);
            await client.DisposeAsync();
        }
        await using var probe = await serve.ConnectAsync();
        long receiving = -1;
        for (int i = 0; i < 100 && (receiving = (await StatusAsync(probe)).GetProperty("receivingBytes").GetInt64()) != 0; i++) await Task.Delay(50);
        Assert.Equal(0, receiving);
        await AssertServesAsync(serve);
        // The pool collects at most once a second; on a loaded machine that collection can come later, so wait for it
        // (up to 20 s) rather than for a fixed time.
        long rssAfter = serve.RssMb;
        for (int i = 0; i < 80 && rssAfter - rssBefore >= sentMb * 2; i++)
        {
            await Task.Delay(250);
            await StatusAsync(probe);
            rssAfter = serve.RssMb;
        }
        // The 4 × 128 MiB written into the dropped buffers are given back (a collection once 128 MiB were dropped).
        Assert.True(rssAfter - rssBefore < sentMb * 2, $"RSS {rssBefore} → {rssAfter} MB after the stalled uploads were released");
        await FinishAsync("stalled-uploads", serve, clock, 1024, 120,
            $"4 uploads declaring 1,022 MiB, {sentMb} MiB sent each, released; RSS {rssBefore} → {rssAfter} MB");
    }
}

using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SlicerBridge.Host.Connections;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Sessions;

/// <summary>Error texts fit their reply, and a reply that cannot be encoded is logged and replaced by a short one.</summary>
public class ReplyBoundsTests
{
    private static readonly string LongName = new('v', 70_000);

    [Fact]
    public void Texts_are_cut_on_a_character_boundary_within_the_limit_and_say_how_long_they_were()
    {
        Assert.Equal("short", ReplyText.Fit("short"));
        string cut = ReplyText.Fit(LongName);
        Assert.True(Encoding.UTF8.GetByteCount(cut) <= ReplyText.MaxErrorBytes);
        Assert.StartsWith("vvvv", cut);
        Assert.EndsWith("[70,000 bytes, cut to fit the reply]", cut);
        string emoji = ReplyText.Fit(string.Concat(Enumerable.Repeat("\U0001F600", 5000)), 100); // 4-byte characters, surrogate pairs
        Assert.True(Encoding.UTF8.GetByteCount(emoji) <= 100);
        Assert.DoesNotContain('\uFFFD', Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(emoji))); // no half pair
    }

    [Fact]
    public void A_command_failure_quoting_70_KB_is_an_encodable_fail_reply()
    {
        var request = new CommandMessage { DeviceName = "cmd", CommandId = 3, CommandName = "SetTarget" };
        var reply = Replies.Rts(request, new Rejection(RejectionKind.UnknownVolume, $"Unknown volume '{LongName}'."));
        IgtlMessageWriter.EnsureEncodable(reply); // before: metadata of 70,035 bytes, over the 65,535 the format holds
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        Assert.True(Encoding.UTF8.GetByteCount(reply.Metadata["ErrorMessage"]) <= ReplyText.MaxErrorBytes);
        Assert.StartsWith("Unknown volume 'vvv", JsonNode.Parse(reply.Content)!["error"]!.GetValue<string>());
        var status = Replies.Status("img", Outcome<int>.Rejected(new Rejection(RejectionKind.BadImage, LongName)))!;
        Assert.True(Encoding.UTF8.GetByteCount(status.Message) <= ReplyText.MaxErrorBytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reply_that_cannot_be_encoded_is_logged_and_a_short_one_goes_instead(bool command)
    {
        // Built by hand, past Replies' own fitting: the channel is the last line of defence.
        IgtlMessage reply = command
            ? new RtsCommandMessage { DeviceName = "cmd", CommandId = 9, CommandName = "Segment", Content = "{}" }
            : new StatusMessage { DeviceName = "img", Code = IgtlStatusCode.Ok };
        reply.Metadata.Set("Huge", LongName);
        var logger = new ListLogger();
        using var wire = new MemoryStream();
        await using (var channel = new ReplyChannel(wire, 1, logger, 1 << 20, () => Assert.Fail("not an overflow")))
        {
            channel.SawHeaderVersion(2); // metadata travels in version 2 only
            await channel.SendAsync(reply);
            await channel.SendAsync(new StatusMessage { DeviceName = "next", Code = IgtlStatusCode.Ok }); // the channel still works
        }
        wire.Position = 0;
        var reader = new IgtlMessageReader(wire);
        using var sent = await reader.ReadAsync();
        if (command)
        {
            var rts = Assert.IsType<RtsCommandMessage>(sent);
            Assert.Equal(9u, rts.CommandId);
            Assert.Equal("FAIL", rts.Metadata["Status"]);
            Assert.Contains("could not encode its RTS_COMMAND reply", rts.Metadata["ErrorMessage"]);
        }
        else
        {
            var status = Assert.IsType<StatusMessage>(sent);
            Assert.Equal(IgtlStatusCode.UnknownError, status.Code);
            Assert.Equal("ReplyNotEncodable", status.ErrorName);
            Assert.Equal("img", status.DeviceName);
        }
        using var next = await reader.ReadAsync();
        Assert.Equal("next", next!.DeviceName);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Text.Contains("cannot be encoded"));
    }

    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, string Text)> Entries { get; } = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Entries) Entries.Add((logLevel, formatter(state, exception)));
        }
    }
}

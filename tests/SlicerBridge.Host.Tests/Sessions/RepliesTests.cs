using System.Text.Json.Nodes;
using SlicerBridge.Host.Connections;
using SlicerBridge.Host.Sessions;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Sessions;

/// <summary>The one place outcomes become STATUS / RTS_COMMAND.</summary>
public class RepliesTests
{
    [Theory]
    [InlineData(RejectionKind.NoVolume, IgtlStatusCode.NotFound)]
    [InlineData(RejectionKind.VolumeEvicted, IgtlStatusCode.NotFound)]
    [InlineData(RejectionKind.NoPositivePoint, IgtlStatusCode.NotReady)]
    [InlineData(RejectionKind.TooLarge, IgtlStatusCode.Overflow)]
    [InlineData(RejectionKind.Busy, IgtlStatusCode.Busy)]
    [InlineData(RejectionKind.UnknownInstruction, IgtlStatusCode.UnknownInstruction)]
    [InlineData(RejectionKind.PointOutside, IgtlStatusCode.ConfigurationError)]
    [InlineData(RejectionKind.SegmentationFailed, IgtlStatusCode.ConfigurationError)]
    public void Rejections_map_to_status_codes(RejectionKind kind, IgtlStatusCode code)
    {
        var status = Replies.Status("dev", Outcome<int>.Rejected(new Rejection(kind, "text")))!;
        Assert.Equal(code, status.Code);
        Assert.Equal(kind.ToString(), status.ErrorName);
        Assert.Equal("text", status.Message);
        Assert.Equal("dev", status.DeviceName);
    }

    [Fact]
    public void Done_and_superseded_need_no_status_and_failures_are_internal_errors()
    {
        Assert.Null(Replies.Status("d", Outcome<int>.Done(1)));
        Assert.Null(Replies.Status("d", Outcome<int>.Superseded("newer")));
        var failed = Replies.Status("d", Outcome<int>.Failed("IndexOutOfRangeException: boom"))!;
        Assert.Equal(IgtlStatusCode.UnknownError, failed.Code);
        Assert.Equal("InternalError", failed.ErrorName);
        Assert.Equal("MultiComponent", Replies.Status("d", Outcome<int>.Rejected(new Rejection(RejectionKind.BadImage, "x", "MultiComponent")))!.ErrorName);
    }

    [Fact]
    public void Commands_get_success_or_fail_with_the_reason()
    {
        var request = new CommandMessage { DeviceName = "cmd", CommandId = 9, CommandName = "Undo" };
        var ok = Replies.Rts(request, new JsonObject { ["depth"] = 1 });
        Assert.Equal(("cmd", 9u, "Undo"), (ok.DeviceName, ok.CommandId, ok.CommandName));
        Assert.Equal("SUCCESS", ok.Metadata["Status"]);
        Assert.Equal("""{"depth":1}""", ok.Content);

        var rejected = Replies.Rts(request, Outcome<JsonObject>.Rejected(new Rejection(RejectionKind.UnknownVolume, "Unknown volume 'x'.")));
        Assert.Equal("FAIL", rejected.Metadata["Status"]);
        Assert.Equal("Unknown volume 'x'.", rejected.Metadata["ErrorMessage"]);
        Assert.Equal("Unknown volume 'x'.", JsonNode.Parse(rejected.Content)!["error"]!.GetValue<string>());

        Assert.Equal("FAIL", Replies.Rts(request, Outcome<JsonObject>.Superseded("newer")).Metadata["Status"]);
        Assert.StartsWith("Internal error: ", Replies.Rts(request, Outcome<JsonObject>.Failed("boom")).Metadata["ErrorMessage"]);
    }
}

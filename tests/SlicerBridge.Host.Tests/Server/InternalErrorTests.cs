using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>A bug inside a model is an internal error, not the client's bad input, and the session survives it.</summary>
public class InternalErrorTests
{
    [Fact]
    public async Task A_model_bug_is_reported_as_internal_error_to_point_and_command_and_the_session_goes_on()
    {
        await using var server = await BridgeTestServer.StartAsync();
        server.Model.Fault = new IndexOutOfRangeException("Index was outside the bounds of the array.");
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("ct", 12));
        await client.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.UnknownError, status.Code);
        Assert.Equal("InternalError", status.ErrorName);
        Assert.Contains("IndexOutOfRangeException", status.Message);

        var (reply, _) = await client.CommandAsync("Segment", """{"points":[{"ras":[6,6,6]}]}""");
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        Assert.StartsWith("Internal error", reply.Metadata["ErrorMessage"]);

        server.Model.Fault = null;
        await client.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal("ct_seg", result.DeviceName);
    }
}

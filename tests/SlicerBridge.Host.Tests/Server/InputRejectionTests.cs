using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>Input the server cannot use is answered with a non-OK STATUS; that connection and every other one keep working.</summary>
public class InputRejectionTests
{
    [Theory]
    [InlineData(12)]
    [InlineData(1)]
    [InlineData(0)]
    public async Task Image_with_an_undefined_scalar_type_is_answered_with_status_while_another_client_works(byte code)
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var good = await server.ConnectAsync();
        await good.SendAsync(TestImages.Int16Volume("good", 12));
        await using var bad = await server.ConnectAsync(headerVersion: 1);

        await bad.SendRawAsync(RawImages.WithScalarType("oddtype", code));
        await good.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));

        var status = await bad.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ConfigurationError, status.Code);
        Assert.Equal("oddtype", status.DeviceName);
        Assert.Contains($"unknown scalar type {code}", status.Message);
        using var result = await good.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(6, 6, 6)));
        await AssertStillServedAsync(bad, "after");
    }

    [Fact]
    public async Task Image_with_zero_dimensions_is_answered_with_status_while_another_client_works()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var good = await server.ConnectAsync();
        await good.SendAsync(TestImages.Int16Volume("good", 12));
        await using var bad = await server.ConnectAsync(headerVersion: 1);

        await bad.SendRawAsync(RawImages.ZeroSized("empty"));
        await good.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));

        var status = await bad.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.ConfigurationError, status.Code);
        Assert.Equal("empty", status.DeviceName);
        Assert.Contains("zero size 0x0x0", status.Message);
        using var result = await good.ReceiveAsync<ImageMessage>();
        Assert.Equal(1, TestImages.MaskAt(result, new Vec3(6, 6, 6)));
        await AssertStillServedAsync(bad, "after");
    }

    [Fact]
    public async Task Oversize_point_message_is_skipped_unbuffered_and_answered_while_the_connection_stays_open()
    {
        await using var server = await BridgeTestServer.StartAsync(new() { ["Protocol:MaxNonImageBodyBytes"] = "4096" });
        await using var client = await server.ConnectAsync(headerVersion: 1);
        var body = new byte[64 * 1024];
        var header = new IgtlHeader(1, "POINT", "huge", default, (ulong)body.Length, IgtlCrc.Compute(body));
        var frame = new byte[IgtlHeaderLayout.Size + body.Length];
        header.Encode(frame);
        await client.SendRawAsync(frame);

        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.Overflow, status.Code);
        Assert.Contains("non-IMAGE", status.Message);
        await AssertStillServedAsync(client, "after");
    }

    [Theory]
    [InlineData("GET_IMAGE")]
    [InlineData("GET_TRANS")]
    [InlineData("STT_POINT")]
    [InlineData("STP_IMAGE")]
    public async Task Queries_the_server_does_not_serve_are_answered_with_unknown_instruction(string type)
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(new QueryMessage(type) { DeviceName = "MRHead" });
        var status = await client.ReceiveAsync<StatusMessage>();
        Assert.Equal(IgtlStatusCode.UnknownInstruction, status.Code);
        Assert.Equal("MRHead", status.DeviceName);
        Assert.Equal("UnknownInstruction", status.ErrorName);
        Assert.Contains(type, status.Message);
        await AssertStillServedAsync(client, "next");
    }

    [Fact]
    public async Task Unknown_data_types_are_skipped_silently_and_unknown_commands_still_fail_as_rts_command()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(new TransformMessage { DeviceName = "T" }); // streamed data: never answered
        var (reply, before) = await client.CommandAsync("Frobnicate");
        Assert.Empty(before);
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        Assert.Contains("Unknown command 'Frobnicate'", reply.Metadata["ErrorMessage"]);
    }

    /// <summary>The connection that sent bad input still gets results.</summary>
    private static async Task AssertStillServedAsync(TestClient client, string name)
    {
        await client.SendAsync(TestImages.Int16Volume(name, 10));
        await client.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
        using var result = await client.ReceiveAsync<ImageMessage>();
        Assert.Equal($"{name}_seg", result.DeviceName);
    }
}

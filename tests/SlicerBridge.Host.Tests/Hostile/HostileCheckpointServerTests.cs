using SlicerBridge.Host.Tests.Support;

namespace SlicerBridge.Host.Tests.Hostile;

/// <summary>
/// serve's model loading with hostile checkpoints: SetModel on a self-containing dict (which aborted the process) or
/// on 200,000 nested dicts answers FAIL with the reader's one-line reason, and the same session keeps working.
/// </summary>
public sealed class HostileCheckpointServerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sb-hostile-serve-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task SetModel_on_a_hostile_checkpoint_is_a_FAIL_and_the_session_keeps_working()
    {
        string selfDict = HostileCorpus.Write(_folder, "self.pth", PickleOps.Archive(
            new PickleOps().EmptyDict().Put(0).Str("a").Get(0).SetItem().Stop()));
        var nested = new PickleOps().EmptyDict();
        for (int i = 0; i < 200_000; i++) nested.Str("a").EmptyDict();
        for (int i = 0; i < 200_000; i++) nested.SetItem();
        string deep = HostileCorpus.Write(_folder, "deep.pth", PickleOps.Archive(nested.Stop()));
        await using var server = await BridgeTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["Models:List:2:Name"] = "self", ["Models:List:2:Kind"] = "sam-med3d", ["Models:List:2:Checkpoint"] = selfDict,
            ["Models:List:3:Name"] = "deep", ["Models:List:3:Kind"] = "sam-med3d", ["Models:List:3:Checkpoint"] = deep,
        });
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("scan", 48));

        var (self, _) = await client.CommandAsync("SetModel", """{"model":"self"}""");
        Assert.Equal("FAIL", self.Metadata["Status"]);
        Assert.Contains("contains itself", self.Metadata["ErrorMessage"]);
        Assert.DoesNotContain("\n", self.Metadata["ErrorMessage"]);
        var (deepReply, _) = await client.CommandAsync("SetModel", """{"model":"deep"}""");
        Assert.Equal("FAIL", deepReply.Metadata["Status"]);
        Assert.Contains("nested more than 64 deep", deepReply.Metadata["ErrorMessage"]);

        var (ok, _) = await client.CommandAsync("SetModel", """{"model":"growcut"}""");
        Assert.Equal("SUCCESS", ok.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (24, 24, 24)));
        using var result = await client.ReceiveAsync<Protocol.ImageMessage>(60);
        Assert.Equal("growcut", result.Metadata["Model"]);
    }
}

using System.Runtime.InteropServices;
using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>
/// CT-SAM3D through the server, configured like a user would (Models:List with kind ct-sam3d, the fixture checkpoint
/// and configuration): listed, answers clicks with a labelmap on the input grid, keeps its features in the shared cache,
/// and a checkpoint that does not fit is a FAIL that leaves the server working. No server code knows the kind.
/// </summary>
public class CtSam3DServerTests
{
    private static string Fixture(string file) => SharedFixtures.CtSam3DTiny(file);

    private static Dictionary<string, string?> Settings() => new()
    {
        ["Models:List:2:Name"] = "ct", ["Models:List:2:Kind"] = "ct-sam3d",
        ["Models:List:2:Checkpoint"] = Fixture("checkpoint.pth"), ["Models:List:2:Config"] = Fixture("fixture.json"), ["Models:List:2:Device"] = "cpu",
        ["Models:List:3:Name"] = "ct-mismatch", ["Models:List:3:Kind"] = "ct-sam3d",
        ["Models:List:3:Checkpoint"] = Fixture("checkpoint.pth"), ["Models:List:3:Config"] = "ct-sam3d-tiny",
    };

    /// <summary>A small CT-like int16 scan (1.5 mm): air around a body with a denser ball.</summary>
    private static ImageMessage Scan(string name)
    {
        const int n = 48;
        var values = new short[n * n * n];
        for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) for (int i = 0; i < n; i++)
        {
            double r = Math.Sqrt((i - 24) * (i - 24) + (j - 24) * (j - 24));
            double ball = Math.Sqrt((i - 24) * (i - 24) + (j - 24) * (j - 24) + (k - 24) * (k - 24));
            values[(k * n + j) * n + i] = (short)(r > 20 ? -1000 : ball <= 8 ? 90 : 30 + (i + j + k) % 7);
        }
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, n, n, n, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas([1.5, 0, 0, 0, 0, 1.5, 0, 0, 0, 0, 1.5, 0]);
        return image;
    }

    [Fact]
    public async Task CtSam3D_is_listed_and_answers_clicks_with_a_labelmap_on_the_input_grid()
    {
        await using var server = await BridgeTestServer.StartAsync(Settings());
        await using var client = await server.ConnectAsync();
        var (list, _) = await client.CommandAsync("ListModels", "{}");
        using (var doc = JsonDocument.Parse(list.Content))
        {
            var ct = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "ct");
            Assert.Equal("ct-sam3d", ct.GetProperty("kind").GetString());
        }

        var image = Scan("scan");
        await client.SendAsync(image);
        var (model, _) = await client.CommandAsync("SetModel", """{"model":"ct"}""");
        Assert.Equal("SUCCESS", model.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (36, 36, 36)));
        using var result = await client.ReceiveAsync<ImageMessage>(120);
        Assert.Equal("ct", result.Metadata["Model"]);
        Assert.Equal(IgtlScalarType.UInt8, result.ScalarType);
        TestImages.AssertSameGeometry(image, result);
        Assert.All(result.Pixels.ToArray(), b => Assert.True(b <= 1));
        Assert.Contains(result.Pixels.ToArray(), b => b == 1);

        // A second click in the same patch: the features come from the cache (one entry), the state carries the probability.
        await client.SendAsync(TestImages.Points("PromptNeg", (40, 30, 36)));
        using var second = await client.ReceiveAsync<ImageMessage>(120);
        TestImages.AssertSameGeometry(image, second);
        using (var lease = server.Server.Models.Acquire("ct"))
            Assert.Equal(1, ((SlicerBridge.Inference.Models.CtSam3D.CtSam3DModel)lease.Model).Cache.Count);

        var (status, _) = await client.CommandAsync("ListModels", "{}");
        using var after = JsonDocument.Parse(status.Content);
        var loaded = after.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "ct");
        Assert.True(loaded.GetProperty("loaded").GetBoolean());
        Assert.True(loaded.GetProperty("weightBytes").GetInt64() > 0);
        Assert.True(loaded.GetProperty("cacheBytes").GetInt64() > 0);
        Assert.StartsWith("cpu fp32", loaded.GetProperty("device").GetString());
        Assert.Contains("CT-SAM3D", loaded.GetProperty("description").GetString());
    }

    [Fact]
    public async Task CtSam3D_with_a_checkpoint_that_does_not_fit_fails_clearly_and_the_server_keeps_working()
    {
        await using var server = await BridgeTestServer.StartAsync(Settings());
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Scan("scan"));
        var (reply, _) = await client.CommandAsync("Segment", """{"model":"ct-mismatch","points":[{"ras":[36,36,36],"label":1}]}""");
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        Assert.Contains("does not match the model configuration", reply.Metadata["ErrorMessage"]);

        var (ok, _) = await client.CommandAsync("SetModel", """{"model":"growcut"}""");
        Assert.Equal("SUCCESS", ok.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (36, 36, 36)));
        using var result = await client.ReceiveAsync<ImageMessage>(60);
        Assert.Equal("growcut", result.Metadata["Model"]);
    }
}

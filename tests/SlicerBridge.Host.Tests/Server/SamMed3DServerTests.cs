using System.Runtime.InteropServices;
using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>
/// SAM-Med3D through the server, configured like a user would (Models:List with kind sam-med3d and a checkpoint),
/// with the tiny fixture checkpoint: labelmap on the input grid with the request metadata, the second client on the
/// same scan reuses the cached embedding, a checkpoint that does not fit its configuration is a FAIL that leaves the server working.
/// </summary>
public class SamMed3DServerTests
{
    private static string Fixture(string file) => SharedFixtures.SamMed3DTiny(file);

    private static Dictionary<string, string?> Settings() => new()
    {
        ["Models:List:2:Name"] = "sam", ["Models:List:2:Kind"] = "sam-med3d",
        ["Models:List:2:Checkpoint"] = Fixture("checkpoint.pth"), ["Models:List:2:Config"] = Fixture("fixture.json"),
        // The tiny checkpoint under the turbo preset: loads on first use and fails the shape check.
        ["Models:List:3:Name"] = "sam-mismatch", ["Models:List:3:Kind"] = "sam-med3d",
        ["Models:List:3:Checkpoint"] = Fixture("checkpoint.pth"), ["Models:List:3:Config"] = "sam-med3d-turbo",
    };

    private static ImageMessage Ball(string name)
    {
        const int n = 48;
        var values = new short[n * n * n];
        for (int k = 0; k < n; k++) for (int j = 0; j < n; j++) for (int i = 0; i < n; i++)
            values[(k * n + j) * n + i] = (short)((new Vec3(i, j, k) - new Vec3(24, 24, 24)).Length <= 10 ? 300 : 40 + (i + j + k) % 5);
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, n, n, n, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas(TestImages.Identity);
        return image;
    }

    [Fact]
    public async Task SamMed3D_answers_a_click_with_a_labelmap_on_the_input_grid()
    {
        await using var server = await BridgeTestServer.StartAsync(Settings());
        await using var client = await server.ConnectAsync();
        var image = Ball("ball");
        await client.SendAsync(image);
        var (model, _) = await client.CommandAsync("SetModel", """{"model":"sam"}""");
        Assert.Equal("SUCCESS", model.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (24, 24, 24)));
        using var result = await client.ReceiveAsync<ImageMessage>(120);
        Assert.Equal("sam", result.Metadata["Model"]);
        Assert.Equal(IgtlScalarType.UInt8, result.ScalarType);
        TestImages.AssertSameGeometry(image, result);
        Assert.All(result.Pixels.ToArray(), b => Assert.True(b <= 1));

        // A second client on the same scan: served from the shared embedding cache.
        await using var second = await server.ConnectAsync();
        await second.SendAsync(Ball("ball-copy"));
        await second.CommandAsync("SetModel", """{"model":"sam"}""");
        await second.SendAsync(TestImages.Points("PromptPos", (24, 24, 24)));
        using var again = await second.ReceiveAsync<ImageMessage>(120);
        Assert.Equal(result.Pixels.ToArray(), again.Pixels.ToArray());
        var (status, _) = await second.CommandAsync("ListModels", "{}");
        using var doc = JsonDocument.Parse(status.Content);
        var sam = doc.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "sam");
        Assert.True(sam.GetProperty("loaded").GetBoolean());
        Assert.True(sam.GetProperty("weightBytes").GetInt64() > 0);
        Assert.True(sam.GetProperty("cacheBytes").GetInt64() > 0); // the shared embedding of the scan
        Assert.StartsWith("cpu fp32", sam.GetProperty("device").GetString()); // no GPU in the test machine: auto falls back, and says why
        var (getStatus, _) = await second.CommandAsync("GetStatus");
        Assert.Equal(sam.GetProperty("device").GetString(),
            JsonDocument.Parse(getStatus.Content).RootElement.GetProperty("device").GetString()); // the loaded SAM model's provider
    }

    [Fact]
    public async Task Setting_an_roi_prepares_the_embedding_so_the_first_click_only_decodes()
    {
        await using var server = await BridgeTestServer.StartAsync(Settings());
        await using var client = await server.ConnectAsync();
        var image = Ball("ball");
        await client.SendAsync(image);
        await client.CommandAsync("SetModel", """{"model":"sam"}""");
        var (roi, _) = await client.CommandAsync("SetRoi", """{"center":[24,24,24],"size":[40,40,40]}""");
        Assert.Equal("SUCCESS", roi.Metadata["Status"]);

        var worker = server.Service<SlicerBridge.Host.Scheduling.PrepareWorkerService>();
        for (int i = 0; i < 600 && worker.Completed == 0; i++) await Task.Delay(50);
        Assert.Equal(1, worker.Completed);
        using (var lease = server.Server.Models.Acquire("sam"))
            Assert.Equal(1, ((SlicerBridge.Inference.Models.SamMed3D.SamMed3DModel)lease.Model).Cache.Count);

        await client.SendAsync(TestImages.Points("PromptPos", (26, 22, 24)));
        using var result = await client.ReceiveAsync<ImageMessage>(120);
        TestImages.AssertSameGeometry(image, result);
        using (var lease = server.Server.Models.Acquire("sam"))
            Assert.Equal(1, ((SlicerBridge.Inference.Models.SamMed3D.SamMed3DModel)lease.Model).Cache.Count); // the click reused it
    }

    [Fact]
    public async Task SamMed3D_with_a_checkpoint_that_does_not_fit_fails_clearly_and_the_server_keeps_working()
    {
        await using var server = await BridgeTestServer.StartAsync(Settings());
        await using var client = await server.ConnectAsync();
        await client.SendAsync(Ball("ball"));
        var (reply, _) = await client.CommandAsync("Segment", """{"model":"sam-mismatch","points":[{"ras":[24,24,24],"label":1}]}""");
        Assert.Equal("FAIL", reply.Metadata["Status"]);
        Assert.Contains("does not match the model configuration", reply.Metadata["ErrorMessage"]);

        var (ok, _) = await client.CommandAsync("SetModel", """{"model":"growcut"}""");
        Assert.Equal("SUCCESS", ok.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (24, 24, 24)));
        using var result = await client.ReceiveAsync<ImageMessage>(60);
        Assert.Equal("growcut", result.Metadata["Model"]);
    }
}

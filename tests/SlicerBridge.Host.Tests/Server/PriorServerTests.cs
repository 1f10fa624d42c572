using System.Runtime.InteropServices;
using System.Text.Json;
using SlicerBridge.Host.Tests.Support;
using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Volumes;
using SlicerBridge.Protocol;

namespace SlicerBridge.Host.Tests.Server;

/// <summary>
/// Refining an existing segment (docs/protocol.md): an IMAGE <c>&lt;volume[:14]&gt;_prior</c> through the real server is
/// kept for its volume and reaches the model, is never a volume or the target, and is refused with STATUS 10 / 4 when it
/// does not fit.
/// </summary>
public class PriorServerTests
{
    /// <summary>A uint8 mask on the 1 mm identity grid of size n³ marking the voxels for which <paramref name="inside"/> holds.</summary>
    internal static ImageMessage Prior(string device, int n, Func<int, int, int, bool> inside, double[]? ijkToRas = null, int sizeK = -1)
    {
        int nk = sizeK > 0 ? sizeK : n;
        var voxels = new byte[n * n * nk];
        for (int k = 0; k < nk; k++) for (int j = 0; j < n; j++) for (int i = 0; i < n; i++)
            if (inside(i, j, k)) voxels[(k * n + j) * n + i] = 1;
        var image = new ImageMessage(device, IgtlScalarType.UInt8, 1, n, n, nk, voxels);
        image.SetIjkToRas(ijkToRas ?? TestImages.Identity);
        return image;
    }

    private static bool Box(int i, int j, int k, int lo, int hi) => i >= lo && i <= hi && j >= lo && j <= hi && k >= lo && k <= hi;

    /// <summary>Sends a message and then a GET_STATUS: the first reply tells whether the message itself was answered.</summary>
    private static async Task<IgtlMessage> ReplyOrSilenceAsync(TestClient client, IgtlMessage message)
    {
        await client.SendAsync(message);
        await client.SendAsync(new QueryMessage("GET_STATUS") { DeviceName = "probe" });
        return (await client.ReceiveAsync())!;
    }

    [Fact]
    public async Task GetStatus_lists_the_prior_feature()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var (status, _) = await client.CommandAsync("GetStatus");
        var features = JsonDocument.Parse(status.Content).RootElement.GetProperty("features").EnumerateArray().Select(f => f.GetString()).ToList();
        Assert.Equal(["prior"], features);
    }

    [Fact]
    public async Task A_prior_is_kept_for_its_volume_silently_never_the_target_and_cleared_by_reset()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        // 20-character volume name: the prior carries its first 14 characters.
        var volume = TestImages.Int16Volume("AbdomenCT_series_001", 16);
        await client.SendAsync(volume);
        var prior = Prior("AbdomenCT_seri_prior", 16, (i, j, k) => Box(i, j, k, 4, 9));
        var reply = await ReplyOrSilenceAsync(client, prior);
        var probe = Assert.IsType<StatusMessage>(reply); // no STATUS for the accepted prior: the probe's answer comes first
        Assert.Equal("probe", probe.DeviceName);
        using (var doc = JsonDocument.Parse(probe.Message))
            Assert.Equal(1, doc.RootElement.GetProperty("cache").GetProperty("volumes").GetInt32()); // not cached as a volume

        await client.SendAsync(TestImages.Points("PromptPos", (6, 6, 6)));
        using (var result = await client.ReceiveAsync<ImageMessage>())
        {
            Assert.Equal("AbdomenCT_series_seg", result.DeviceName); // the volume's result, on the volume's grid
            TestImages.AssertSameGeometry(volume, result);
        }
        var seen = server.Model.LastPrior;
        Assert.NotNull(seen);
        Assert.Equal(6 * 6 * 6, seen.InsideCount);
        Assert.Equal(TestImages.Geometry(volume), seen.Geometry);

        // Not a volume of the session: it cannot be made the target.
        var (setTarget, _) = await client.CommandAsync("SetTarget", """{"volume":"AbdomenCT_seri_prior"}""");
        Assert.Equal("FAIL", setTarget.Metadata["Status"]);

        // Every later segmentation of the volume starts from it ...
        await client.SendAsync(TestImages.Points("PromptPos", (7, 7, 7)));
        using (await client.ReceiveAsync<ImageMessage>()) { }
        Assert.Same(seen, server.Model.LastPrior);

        // ... until Reset.
        var (reset, _) = await client.CommandAsync("Reset", "{}");
        Assert.Equal("SUCCESS", reset.Metadata["Status"]);
        await client.SendAsync(TestImages.Points("PromptPos", (7, 7, 7)));
        using (await client.ReceiveAsync<ImageMessage>()) { }
        Assert.Null(server.Model.LastPrior);
    }

    [Fact]
    public async Task An_all_zero_prior_clears_it_and_a_volume_with_other_voxels_drops_it()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var volume = TestImages.Int16Volume("ct", 12);
        await client.SendAsync(volume);

        async Task<PriorMask?> PriorSeenAsync()
        {
            await client.SendAsync(TestImages.Points("PromptPos", (5, 5, 5)));
            using (await client.ReceiveAsync<ImageMessage>()) { }
            return server.Model.LastPrior;
        }

        await client.SendAsync(Prior("ct_prior", 12, (i, j, k) => Box(i, j, k, 3, 6)));
        Assert.NotNull(await PriorSeenAsync());
        await client.SendAsync(Prior("ct_prior", 12, (_, _, _) => false));
        Assert.Null(await PriorSeenAsync());

        await client.SendAsync(Prior("ct_prior", 12, (i, j, k) => Box(i, j, k, 3, 6)));
        await client.SendAsync(volume); // the same voxels again: the prior stays
        Assert.NotNull(await PriorSeenAsync());
        byte[] otherVoxels = volume.Pixels.ToArray();
        otherVoxels[0] ^= 1;
        var changed = new ImageMessage("ct", IgtlScalarType.Int16, 1, 12, 12, 12, otherVoxels);
        changed.SetIjkToRas(TestImages.Identity);
        await client.SendAsync(changed); // other voxels: the prior is dropped
        Assert.Null(await PriorSeenAsync());
    }

    [Fact]
    public async Task A_prior_that_does_not_fit_its_volume_is_refused_with_status_10_and_one_without_a_volume_with_status_4()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var orphan = Assert.IsType<StatusMessage>(await ReplyOrSilenceAsync(client, Prior("ct_prior", 8, (_, _, _) => true)));
        Assert.Equal(IgtlStatusCode.NotFound, orphan.Code);
        Assert.Equal("ct_prior", orphan.DeviceName);
        Assert.Contains("matches no volume", orphan.Message);
        using (await client.ReceiveAsync<StatusMessage>()) { } // the probe's answer

        await client.SendAsync(TestImages.Int16Volume("ct", 8));
        var other = Assert.IsType<StatusMessage>(await ReplyOrSilenceAsync(client, Prior("mr_prior", 8, (_, _, _) => true)));
        Assert.Equal(IgtlStatusCode.NotFound, other.Code);
        Assert.Contains("ct", other.Message); // names the volumes the session has
        using (await client.ReceiveAsync<StatusMessage>()) { }

        var cases = new (ImageMessage Prior, string Says)[]
        {
            (Prior("ct_prior", 8, (_, _, _) => true, sizeK: 9), "dimensions 8x8x9"),
            (Prior("ct_prior", 8, (_, _, _) => true, [1.5, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]), "spacing"),
            (Prior("ct_prior", 8, (_, _, _) => true, [1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0]), "origin"),
            (TestImages.Int16Volume("ct_prior", 8), "uint8"),
        };
        foreach (var (prior, says) in cases)
        {
            var refused = Assert.IsType<StatusMessage>(await ReplyOrSilenceAsync(client, prior));
            Assert.Equal(IgtlStatusCode.ConfigurationError, refused.Code);
            Assert.Contains(says, refused.Message);
            using (await client.ReceiveAsync<StatusMessage>()) { }
        }
        var rgb = new ImageMessage("ct_prior", IgtlScalarType.UInt8, 3, 8, 8, 8, new byte[8 * 8 * 8 * 3]);
        rgb.SetIjkToRas(TestImages.Identity);
        var components = Assert.IsType<StatusMessage>(await ReplyOrSilenceAsync(client, rgb));
        Assert.Equal(IgtlStatusCode.ConfigurationError, components.Code);
        Assert.Contains("3 components", components.Message);
        using (await client.ReceiveAsync<StatusMessage>()) { }

        // None of them was taken: the next click has no prior, and "ct" is still the only volume and the target.
        await client.SendAsync(TestImages.Points("PromptPos", (4, 4, 4)));
        using (var result = await client.ReceiveAsync<ImageMessage>()) Assert.Equal("ct_seg", result.DeviceName);
        Assert.Null(server.Model.LastPrior);
    }

    [Fact]
    public async Task With_several_matching_volumes_the_prior_goes_to_the_target()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.SendAsync(TestImages.Int16Volume("liver_arterial", 8));
        await client.SendAsync(TestImages.Int16Volume("liver_arterial_2", 10));
        // "liver_arterial" is a prefix of both; the target (the last sent, 10³) takes it: an 8³ mask does not fit it.
        var refused = Assert.IsType<StatusMessage>(await ReplyOrSilenceAsync(client, Prior("liver_arterial_prior", 8, (_, _, _) => true)));
        Assert.Equal(IgtlStatusCode.ConfigurationError, refused.Code);
        Assert.Contains("liver_arterial_2", refused.Message);
        using (await client.ReceiveAsync<StatusMessage>()) { }
        var accepted = await ReplyOrSilenceAsync(client, Prior("liver_arterial_prior", 10, (i, _, _) => i < 5));
        Assert.Equal("probe", accepted.DeviceName);
    }

    /// <summary>A noisy flat volume: no intensity edge, so what GrowCut returns beyond a click's sphere comes from the prior.</summary>
    private static ImageMessage Flat(string name, int n)
    {
        var values = new short[n * n * n];
        var rng = new Random(5);
        for (int v = 0; v < values.Length; v++) values[v] = (short)(100 + rng.Next(3));
        var image = new ImageMessage(name, IgtlScalarType.Int16, 1, n, n, n, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        image.SetIjkToRas(TestImages.Identity);
        return image;
    }

    [Fact]
    public async Task GrowCut_refines_a_prior_a_click_inside_keeps_at_least_the_prior_and_a_negative_click_wins_where_placed()
    {
        await using var server = await BridgeTestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        const int n = 32;
        await client.SendAsync(Flat("flat", n));
        await client.CommandAsync("SetModel", """{"model":"growcut"}""");

        await client.SendAsync(TestImages.Points("PromptPos", (16, 16, 16)));
        byte[] without;
        using (var r = await client.ReceiveAsync<ImageMessage>(60)) without = r.Pixels.ToArray();
        var (_, beforeReset) = await client.CommandAsync("Reset", "{}");
        Assert.IsType<ImageMessage>(Assert.Single(beforeReset)); // Reset's empty labelmap

        var prior = Prior("flat_prior", n, (i, j, k) => i >= 8 && i <= 24 && j >= 10 && j <= 22 && k >= 12 && k <= 20);
        byte[] priorMask = prior.Pixels.ToArray();
        await client.SendAsync(prior);
        await client.SendAsync(TestImages.Points("PromptPos", (16, 16, 16)));
        byte[] with;
        using (var r = await client.ReceiveAsync<ImageMessage>(60)) with = r.Pixels.ToArray();
        for (int v = 0; v < with.Length; v++)
            if (priorMask[v] == 1) Assert.True(with[v] == 1, $"voxel {v} of the prior was lost");
        Assert.NotEqual(without, with); // the prior changed the result
        Assert.True(with.Count(b => b == 1) >= priorMask.Count(b => b == 1));

        // A negative click inside the prior: background where it is placed.
        await client.SendAsync(TestImages.Points("PromptNeg-", (22, 16, 16)));
        using (var r = await client.ReceiveAsync<ImageMessage>(60))
        {
            Assert.Equal(0, TestImages.MaskAt(r, new Vec3(22, 16, 16)));
            Assert.Equal(1, TestImages.MaskAt(r, new Vec3(12, 16, 16))); // far from it the prior stays
        }

        // Reset forgets the prior: the same click gives what it gave without one.
        await client.CommandAsync("Reset", "{}");
        await client.SendAsync(TestImages.Points("PromptPos", (16, 16, 16)));
        using (var r = await client.ReceiveAsync<ImageMessage>(60)) Assert.Equal(without, r.Pixels.ToArray());
    }

    [Fact]
    public async Task SamMed3D_starts_from_the_prior_the_server_received()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Models:List:2:Name"] = "sam", ["Models:List:2:Kind"] = "sam-med3d",
            ["Models:List:2:Checkpoint"] = SharedFixtures.SamMed3DTiny("checkpoint.pth"),
            ["Models:List:2:Config"] = SharedFixtures.SamMed3DTiny("fixture.json"),
        };
        await using var server = await BridgeTestServer.StartAsync(settings);
        await using var client = await server.ConnectAsync();
        const int n = 48;
        var (image, _) = TestImages.Ball("ball", n, 10);
        await client.SendAsync(image);
        await client.CommandAsync("SetModel", """{"model":"sam"}""");
        var prior = Prior("ball_prior", n, (i, j, k) => Math.Abs(i - 20) <= 8 && Math.Abs(j - 24) <= 5 && Math.Abs(k - 24) <= 12);
        await client.SendAsync(prior);
        await client.SendAsync(TestImages.Points("PromptPos", (24, 24, 24)));
        byte[] served;
        using (var result = await client.ReceiveAsync<ImageMessage>(120))
        {
            TestImages.AssertSameGeometry(image, result);
            served = result.Pixels.ToArray();
        }

        // The same request made directly on the loaded model, with and without that prior.
        var volume = Connections.ImageVolumeConverter.ToVolume(image).Value!;
        var points = new[] { new PromptPoint(new Vec3(24, 24, 24), true) };
        using var lease = server.Server.Models.Acquire("sam");
        var withPrior = lease.Model.Segment(new SegmentationRequest
        {
            Volume = volume, Points = points, Prior = new PriorMask(volume.Geometry, prior.Pixels.ToArray()),
        }, default);
        var withoutPrior = lease.Model.Segment(new SegmentationRequest { Volume = volume, Points = points }, default);
        Assert.Equal(withPrior.Mask, served);
        Assert.NotEqual(withoutPrior.Mask, served); // the prior's mask prompt changed the answer
    }
}

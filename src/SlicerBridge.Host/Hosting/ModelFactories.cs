using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.CtSam3D;
using SlicerBridge.Inference.Models.GrowCut;
using SlicerBridge.Inference.Models.SamMed2D;
using SlicerBridge.Inference.Models.SamMed3D;

namespace SlicerBridge.Host.Hosting;

/// <summary>The model kinds this build of the server can load (the registry's factories).</summary>
public static class ModelFactories
{
    public static List<IModelFactory> BuiltIn() =>
    [
        new GrowCutModelFactory(),
        new SamMed3DModelFactory(),
        new CtSam3DModelFactory(),
        new SamMed2DModelFactory(),
    ];
}

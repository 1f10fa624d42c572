using SlicerBridge.Inference.Models;
using SlicerBridge.Inference.Models.GrowCut;

namespace SlicerBridge.Host.Hosting;

/// <summary>The model kinds this build of the server can load (the registry's factories).</summary>
public static class ModelFactories
{
    public static List<IModelFactory> BuiltIn() =>
    [
        new GrowCutModelFactory(),
        // SAM-Med3D ("sam-med3d", branches tensor/samio) joins here once merged: new SamMed3DModelFactory().
    ];
}

namespace TinyGru.CodeGen.NanoFramework;

/// <summary>Where the generated nanoFramework code keeps the weight matrices (docs/nanoframework.md).</summary>
public enum NanoWeightPlacement
{
    /// <summary>Picks Inline, Arrays or Resource from the model's estimated IL, initializer and RAM bytes.</summary>
    Auto,

    /// <summary>Unrolled code with literal weights: no weight RAM, fastest on the interpreter, IL grows with the weights.</summary>
    Inline,

    /// <summary><c>static readonly</c> arrays: copied from flash into the managed heap at boot (they cost RAM).</summary>
    Arrays,

    /// <summary>A binary resource that stays in flash, read row block by row block with <c>ResourceUtility.GetObject(rm, id, offset, length)</c>.</summary>
    Resource,
}

/// <summary>How float models compute tanh, σ and exp on the device.</summary>
public enum NanoActivations
{
    /// <summary>One <c>System.Math.Tanh(double)</c> per activation (package nanoFramework.System.Math); softmax uses <c>System.Math.Exp</c>.</summary>
    MathTanh,

    /// <summary>A managed float approximation with no System.Math call (firmware without Math, e.g. RP2040 light math).</summary>
    Managed,
}

/// <summary>Options of <see cref="NanoFrameworkEmitter.Emit"/>.</summary>
public sealed class NanoEmitOptions
{
    /// <summary>Namespace of the generated class, or null for the global namespace.</summary>
    public string? Namespace { get; set; }

    /// <summary>Name of the generated <c>sealed class</c>.</summary>
    public string TypeName { get; set; } = "GruModel";

    /// <summary>Model file name shown in the header (no folders: output must not depend on the machine).</summary>
    public string SourceName { get; set; } = "model";

    /// <summary>SHA-256 of the model file, lower-case hex.</summary>
    public string SourceHash { get; set; } = "";

    /// <summary>Weight placement; <see cref="NanoWeightPlacement.Auto"/> picks one from the nanoFramework limits.</summary>
    public NanoWeightPlacement Weights { get; set; } = NanoWeightPlacement.Auto;

    /// <summary>
    /// Declares the class <c>sealed partial</c> without an accessibility, completing the user's own partial declaration
    /// (the source generator); otherwise <c>public sealed class</c>.
    /// </summary>
    public bool Partial { get; set; }

    /// <summary>Activation implementation for float models (int8 models always use integer tables).</summary>
    public NanoActivations Activations { get; set; } = NanoActivations.MathTanh;
}

/// <summary>Estimated nanoFramework footprint of one generated model (docs/nanoframework.md, "Footprint").</summary>
public sealed class NanoFootprint
{
    internal NanoFootprint(long ilBytes, long initializerBytes, long ramBytes, long flashBytes, long resourceBytes, long ilOpsPerStep, int methods)
    {
        IlBytes = ilBytes;
        InitializerBytes = initializerBytes;
        RamBytes = ramBytes;
        FlashBytes = flashBytes;
        ResourceBytes = resourceBytes;
        IlOpsPerStep = ilOpsPerStep;
        Methods = methods;
    }

    /// <summary>Estimated IL bytes of the generated class (the metadata processor allows 64 KB per assembly).</summary>
    public long IlBytes { get; }

    /// <summary>Bytes of static array initializer data (addressed with 16-bit offsets: about 64 KB at most).</summary>
    public long InitializerBytes { get; }

    /// <summary>Managed heap bytes: state, per-step buffers and every static array (copied into RAM at boot), with array headers.</summary>
    public long RamBytes { get; }

    /// <summary>Deployment (flash) bytes: IL, initializer data and the weight resource; metadata not counted.</summary>
    public long FlashBytes { get; }

    /// <summary>Bytes of the binary weight resource (Resource placement only).</summary>
    public long ResourceBytes { get; }

    /// <summary>Estimated IL instructions the interpreter executes per Step.</summary>
    public long IlOpsPerStep { get; }

    /// <summary>Methods of the generated class (nanoFramework allows 255 per type).</summary>
    public int Methods { get; }
}

/// <summary>What <see cref="NanoFrameworkEmitter.Emit"/> produced.</summary>
public sealed class NanoEmitResult
{
    internal NanoEmitResult(string source, NanoFootprint footprint, NanoWeightPlacement placement, IReadOnlyList<(string Name, byte[] Bytes)> resources)
    {
        Source = source;
        Footprint = footprint;
        Placement = placement;
        Resources = resources;
    }

    /// <summary>The C# 9 source file.</summary>
    public string Source { get; }

    /// <summary>Estimated footprint (also written in the file's header comment).</summary>
    public NanoFootprint Footprint { get; }

    /// <summary>The placement used (never Auto).</summary>
    public NanoWeightPlacement Placement { get; }

    /// <summary>Binary resources to add to the project's .resx (non-empty only for <see cref="NanoWeightPlacement.Resource"/>).</summary>
    public IReadOnlyList<(string Name, byte[] Bytes)> Resources { get; }
}

/// <summary>The model cannot be emitted for nanoFramework with the requested placement (the message has the sizes).</summary>
public sealed class NanoEmitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NanoEmitException(string message) : base(message) { }
}

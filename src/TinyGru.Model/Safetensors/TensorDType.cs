namespace TinyGru.Model.Safetensors;

/// <summary>Element types of safetensors files that TinyGru reads.</summary>
public enum TensorDType
{
    /// <summary>bool, one byte.</summary>
    Bool,
    /// <summary>uint8.</summary>
    U8,
    /// <summary>int8.</summary>
    I8,
    /// <summary>int16.</summary>
    I16,
    /// <summary>uint16.</summary>
    U16,
    /// <summary>IEEE half.</summary>
    F16,
    /// <summary>bfloat16.</summary>
    BF16,
    /// <summary>int32.</summary>
    I32,
    /// <summary>uint32.</summary>
    U32,
    /// <summary>IEEE single.</summary>
    F32,
    /// <summary>IEEE double.</summary>
    F64,
    /// <summary>int64.</summary>
    I64,
    /// <summary>uint64.</summary>
    U64,
}

/// <summary>Names and sizes of <see cref="TensorDType"/>.</summary>
public static class TensorDTypes
{
    private static readonly string[] Names = { "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64" };
    private static readonly int[] Sizes = { 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8 };

    /// <summary>The dtype string used in safetensors headers.</summary>
    public static string Name(this TensorDType dtype) => Names[(int)dtype];

    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorDType dtype) => Sizes[(int)dtype];

    /// <summary>All dtype strings, for messages.</summary>
    public static string KnownNames => string.Join(", ", Names);

    /// <summary>Parses a header dtype string.</summary>
    public static bool TryParse(string name, out TensorDType dtype)
    {
        int i = Array.IndexOf(Names, name);
        dtype = (TensorDType)Math.Max(i, 0);
        return i >= 0;
    }
}

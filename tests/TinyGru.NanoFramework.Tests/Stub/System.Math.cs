// Stub of the nanoFramework.System.Math package (assembly System.Math), which the package feed here does not serve.
// Compiled at test time against the real nanoFramework.CoreLibrary mscorlib.dll; bodies are `throw null;` (never run).
//
// Source: nanoframework/System.Math, nanoFramework.System.Math/Math.cs (commit a730259b): PI, E; double-only
// Acos/Asin/Atan/Atan2/Ceiling/Cos/Cosh/IEEERemainder/Exp/Floor/Log/Log10/Pow/Round/Sign/Sin/Sinh/Sqrt/Tan/Tanh/
// Truncate (InternalCall); float overloads exist only for Abs, Min, Max, Sign. Clamp(float/double) and the float
// Max/Min follow the project's shared nanoFramework notes (float overloads exist only for Abs, Min, Max, Clamp, Sign).
// The other float overloads are [Obsolete(error: true)] in that version and removed later (changelog "Remove float
// overloads" #63, "Remove obsolete methods" #80): they are NOT here, so Math.Tanh(someFloat) binds to Tanh(double)
// here, and generated code passes a double explicitly so it compiles against both.
// int Abs/Min/Max: the real mscorlib has them only as internal MathInternal; the package declares the public ones
// (same Math.cs).

namespace System
{
    public static class Math
    {
        public const double PI = 3.14159265358979323846;
        public const double E = 2.7182818284590452354;

        public static int Abs(int val) { throw null; }
        public static double Abs(double val) { throw null; }
        public static float Abs(float val) { throw null; }
        public static int Max(int val1, int val2) { throw null; }
        public static double Max(double x, double y) { throw null; }
        public static float Max(float x, float y) { throw null; }
        public static int Min(int val1, int val2) { throw null; }
        public static double Min(double x, double y) { throw null; }
        public static float Min(float x, float y) { throw null; }
        public static double Clamp(double value, double min, double max) { throw null; }
        public static float Clamp(float value, float min, float max) { throw null; }
        public static int Sign(double value) { throw null; }
        public static int Sign(float value) { throw null; }

        public static double Acos(double d) { throw null; }
        public static double Asin(double d) { throw null; }
        public static double Atan(double d) { throw null; }
        public static double Atan2(double y, double x) { throw null; }
        public static double Ceiling(double d) { throw null; }
        public static double Cos(double a) { throw null; }
        public static double Cosh(double a) { throw null; }
        public static double IEEERemainder(double x, double y) { throw null; }
        public static double Exp(double d) { throw null; }
        public static double Floor(double d) { throw null; }
        public static double Log(double d) { throw null; }
        public static double Log10(double d) { throw null; }
        public static double Pow(double x, double y) { throw null; }
        public static double Round(double d) { throw null; }
        public static double Sin(double a) { throw null; }
        public static double Sinh(double value) { throw null; }
        public static double Sqrt(double d) { throw null; }
        public static double Tan(double a) { throw null; }
        public static double Tanh(double value) { throw null; }
        public static double Truncate(double d) { throw null; }
    }
}

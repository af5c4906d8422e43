// ==========================================================================================================
// PLACEHOLDER — NOT THE TRAINED MODEL. Replace this file with the generator's output:
//
//   dotnet run --project src/TinyGru.Cli -- generate \
//       firmware-samples/nanoframework/VibrationClassifier/model/vibration-int8.safetensors \
//       --target nanoframework --namespace VibrationClassifier --class VibrationModel \
//       -o firmware-samples/nanoframework/VibrationClassifier/VibrationModel.cs
//
// It exists so that the sample compiles and so that TinyGru's static nanoFramework checks have something to
// check before the nanoFramework emitter lands. It has the generated class's API (constructor, Step, Classify,
// Reset) and a GRU-shaped computation with arbitrary hand-picked weights: its outputs mean nothing.
// ==========================================================================================================

namespace VibrationClassifier
{
    /// <summary>Placeholder with the API of the generated classifier (3 inputs in g, 3 classes: fault, idle, normal).</summary>
    public sealed class VibrationModel
    {
        public const int InputSize = 3;
        public const int HiddenSize = 2;
        public const int OutputSize = 3;

        // Arbitrary placeholder weights (rows: update gate z, candidate n; columns: 3 inputs).
        private static readonly float[] Wz = { 0.5f, -0.25f, 0.125f, -0.5f, 0.25f, 0.75f };
        private static readonly float[] Wn = { 1.0f, 0.5f, -0.5f, -1.0f, 0.25f, 0.5f };
        private static readonly float[] Wo = { 1.0f, -1.0f, 0.5f, 0.5f, -0.5f, 1.0f };

        private readonly float[] _h = new float[HiddenSize];
        private readonly float[] _scratch = new float[OutputSize];

        public VibrationModel() { }

        /// <summary>Clears the hidden state (start of a new window).</summary>
        public void Reset()
        {
            for (int j = 0; j < HiddenSize; j++) _h[j] = 0f;
        }

        /// <summary>Advances one timestep: <paramref name="input"/>[3] in, class scores [3] out.</summary>
        public void Step(float[] input, float[] output)
        {
            for (int j = 0; j < HiddenSize; j++)
            {
                float az = 0f, an = 0f;
                for (int k = 0; k < InputSize; k++)
                {
                    az += Wz[j * InputSize + k] * input[k];
                    an += Wn[j * InputSize + k] * input[k];
                }
                float z = 0.5f * (float)System.Math.Tanh(0.5 * (az + _h[j])) + 0.5f;
                float n = (float)System.Math.Tanh(an);
                _h[j] = (1f - z) * n + z * _h[j];
            }
            for (int o = 0; o < OutputSize; o++)
            {
                output[o] = Wo[o * HiddenSize] * _h[0] + Wo[o * HiddenSize + 1] * _h[1];
            }
        }

        /// <summary>Steps once and returns the index of the largest score.</summary>
        public int Classify(float[] input)
        {
            Step(input, _scratch);
            int best = 0;
            for (int o = 1; o < OutputSize; o++)
            {
                if (_scratch[o] > _scratch[best]) best = o;
            }
            return best;
        }
    }
}

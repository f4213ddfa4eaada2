"""Spanish rules: a message hands off (and enters the expected segment) or does not.

Phrasings from Spain and Latin America, tú / usted / vos, chat shorthand and Spanglish; the
look-alikes that must not hand off are negations, hypotheticals, how-to questions (including how
to block a card), delivery questions and plain refund requests.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # --- requests for a person --------------------------------------------------------------
    ("¿Puedo hablar con un asesor, por favor?", True, "human_requested"),
    ("pásenme con alguien de atención al cliente", True, "human_requested"),
    ("operadora", True, "human_requested"),
    ("¿Me comunicás con un representante? El bot no me entiende", True, "human_requested"),
    ("Necesito que me llamen hoy, es por la factura", True, "human_requested"),
    ("¿hay alguna persona real del otro lado?", True, "human_requested"),
    ("Prefiero que me atienda un humano, gracias", True, "human_requested"),
    # --- billing disputes -------------------------------------------------------------------
    ("Me cobraron doble la mensualidad de junio", True, "billing_dispute"),
    ("Aparece dos veces el mismo cargo de 19,99 € en la tarjeta", True, "billing_dispute"),
    ("no reconozco ese movimiento de 45 dólares del sábado", True, "billing_dispute"),
    ("hay un débito de Spotify y nunca contraté Spotify", True, "billing_dispute"),
    ("Pedí la devolución hace tres semanas y el reembolso todavía no aparece", True,
     "billing_dispute"),
    ("Voy a desconocer la compra con mi banco", True, "billing_dispute"),
    ("el cajero me descontó 500 pesos pero no me dio el dinero", True, "billing_dispute"),
    ("Me siguen cobrando el seguro que cancelé en abril", True, "billing_dispute"),
    # --- takeover, fraud, lost or stolen -----------------------------------------------------
    ("Me hackearon el correo y están usando mi cuenta", True, "fraud_takeover"),
    ("Alguien entró a mi cuenta desde otro país anoche", True, "fraud_takeover"),
    ("me robaron el celular en el colectivo", True, "fraud_takeover"),
    ("Perdí mi tarjeta de crédito en el aeropuerto", True, "fraud_takeover"),
    ("Bloqueen mi tarjeta ya, me la robaron", True, "fraud_takeover"),
    ("Fui víctima de una estafa por WhatsApp, les di el código", True, "fraud_takeover"),
    # --- lockout ------------------------------------------------------------------------------
    ("Mi cuenta está suspendida y no sé por qué", True, "lockout"),
    ("Se me bloqueó el usuario de la banca en línea", True, "lockout"),
    ("Metí mal el PIN tres veces, ¿me la desbloqueas?", True, "lockout"),
    # --- legal and safety ----------------------------------------------------------------------
    ("Los voy a demandar, ya tengo abogado", True, "legal_threat"),
    ("Voy a presentar una reclamación ante Consumo", True, "legal_threat"),
    ("No le veo sentido a seguir viviendo", True, "safety"),
    ("Mi pareja me amenazó de muerte, necesito cambiar mi dirección", True, "safety"),
    # --- look-alikes that must not hand off ---------------------------------------------------
    ("no me cobraron dos veces, solo quiero entender la factura", False, None),
    ("¿Cómo bloqueo mi tarjeta desde la app?", False, None),
    ("¿Puedo congelar la tarjeta yo mismo desde la web?", False, None),
    ("¿Qué hago si algún día me roban la tarjeta?", False, None),
    ("mi cuenta no está bloqueada, solo olvidé la contraseña", False, None),
    ("no quiero hablar con nadie, solo dime el horario", False, None),
    ("No hace falta que me pase con un agente, ya está", False, None),
    ("¿eres un bot o una persona?", False, None),
    ("mi pedido nunca llegó, ¿dónde está?", False, None),
    ("Quiero un reembolso porque me arrepentí de la compra", False, None),
    ("¿Cuánto tarda normalmente un reembolso?", False, None),
    ("esta app es una porquería, siempre va lenta", False, None),
    ("¿Cuántos intentos tengo antes de que se bloquee el PIN?", False, None),
    ("Nadie ha entrado en mi cuenta, solo quiero cambiar la contraseña", False, None),
    ("¿Tengo que hablar con un agente para dar de baja la línea o lo hago aquí?", False, None),
    ("El abogado de nuestra empresa necesita una copia del contrato de tratamiento de datos",
     False, None),
    ("Reservé una habitación doble, ¿incluye desayuno?", False, None),
]
